"""Evaluation suites: JSONL, one case per line.

Fields (exactly these names; unknown names are reported, so a typo cannot silently drop a check):
  id, question           required, non-empty strings
  answers                list of acceptable answer strings (SQuAD-style)
  must_contain           list of groups, each a non-empty list of alternative strings; the answer
                         passes when every group has at least one alternative present
  gold_sources           document ids that contain the answer (.txt corpora: file name relative to
                         the corpus folder; JSONL corpora: the record `id`)
  unanswerable           bool; such cases carry no answers / must_contain
  history                earlier turns [{"role": "user"|"assistant", "content": str}]
  type                   free tag for per-type breakdowns; the shipped suites use
                           fact, number, date, person, place, document (a decision, plan, directive:
                           "11-QĐ/TU"), organisation, why (why/how: must_contain holds the reason's key
                           phrase), list (items from several articles: one must_contain group per item,
                           every article in gold_sources), unanswerable, unaccented (a question typed
                           without diacritics), english (answered from Vietnamese text), followup
                           (needs its history)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("id", "question", "answers", "must_contain", "gold_sources", "unanswerable", "history", "type")
# Extra fields a suite line may carry and the harness ignores: the web chat's feedback.jsonl
# stores the rated answer there, so that file loads as a suite as it is.
IGNORED = ("feedback",)
ROLES = ("user", "assistant")


@dataclass
class Case:
    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    must_contain: list[list[str]] = field(default_factory=list)
    gold_sources: list[str] = field(default_factory=list)
    unanswerable: bool = False
    history: list[dict[str, str]] = field(default_factory=list)
    type: str = "untyped"

    @property
    def expected_language(self) -> str:
        # the suite has no language field; English questions are tagged by type
        return "en" if self.type == "english" else "vi"


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) and s.strip() for s in v)


def _check(obj: Any) -> list[str]:
    """Problems with one parsed line (empty list = valid)."""
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    problems = [f"unknown field {k!r}" for k in obj if k not in FIELDS and k not in IGNORED]
    for key in ("id", "question"):
        if key not in obj:
            problems.append(f"missing {key!r}")
        elif not isinstance(obj[key], str) or not obj[key].strip():
            problems.append(f"{key!r} must be a non-empty string")
    for key in ("answers", "gold_sources"):
        if key in obj and not _is_str_list(obj[key]):
            problems.append(f"{key!r} must be a list of non-empty strings")
    if "must_contain" in obj:
        groups = obj["must_contain"]
        if not isinstance(groups, list):
            problems.append("'must_contain' must be a list of groups")
        else:
            for i, g in enumerate(groups, 1):
                # an empty group can never pass, an empty alternative would match anything
                if not _is_str_list(g) or not g:
                    problems.append(f"'must_contain' group {i} must be a non-empty list of non-empty strings")
    if "unanswerable" in obj and not isinstance(obj["unanswerable"], bool):
        problems.append("'unanswerable' must be true or false")
    if obj.get("unanswerable") is True and (obj.get("answers") or obj.get("must_contain")):
        problems.append("an unanswerable case cannot have 'answers' or 'must_contain'")
    if "history" in obj:
        h = obj["history"]
        ok = isinstance(h, list) and all(
            isinstance(t, dict) and set(t) == {"role", "content"}
            and t["role"] in ROLES and isinstance(t["content"], str)
            for t in h
        )
        if not ok:
            problems.append("'history' must be a list of {\"role\": \"user\"|\"assistant\", \"content\": str}")
    if "type" in obj and (not isinstance(obj["type"], str) or not obj["type"].strip()):
        problems.append("'type' must be a non-empty string")
    return problems


def load_suite(path: str | Path) -> tuple[list[Case], list[str]]:
    """Read a suite. Bad lines are skipped and reported as "<file> line N: <problem>"."""
    path = Path(path)
    cases: list[Case] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path.name} line {n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: invalid JSON ({e.msg})")
                continue
            problems = _check(obj)
            if not problems and obj["id"] in first_line:
                problems.append(f"duplicate id {obj['id']!r} (first on line {first_line[obj['id']]})")
            if problems:
                errors.extend(f"{where}: {p}" for p in problems)
                continue
            first_line[obj["id"]] = n
            cases.append(Case(**obj))
    return cases, errors
