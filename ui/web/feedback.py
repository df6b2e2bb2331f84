"""Feedback on answers, kept as eval-suite cases in <data_dir>/feedback.jsonl.

Each line is a case of the eval suite format (eval/suite.py: id, question, history, type and the
gold fields a verdict supports) plus a "feedback" object (answer, citations, verdict, comment,
time) that the suite loader ignores, so the file can be appended to a suite as it is. One answer
has at most one line: a later verdict (or a comment added to it) replaces the earlier line.

    >>> log = FeedbackLog(Path("/tmp/hoidap-doc/feedback.jsonl"))  # doctest: +SKIP
    >>> log.record({"question": "q", "answer": "a [1]", "citations": [], "answer_id": "t1"}, "like")  # doctest: +SKIP
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from eval.suite import FIELDS as SUITE_FIELDS
from ui.web.render import strip_markers

FEEDBACK_FILE = "feedback.jsonl"


def feedback_case(turn: dict, verdict: str, comment: str = "", now: dt.datetime | None = None) -> dict:
    """One feedback record for an answered turn (question, history, answer, citations…)."""
    now = now or dt.datetime.now().astimezone()
    rec: dict[str, Any] = {
        "id": f"fb-{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}",
        "question": turn["question"],
        "history": turn.get("history") or [],
        "type": f"feedback-{verdict.replace('_', '-')}",
    }
    cites = turn.get("citations") or []
    if verdict == "like":
        if turn.get("refused"):
            rec["unanswerable"] = True
        else:
            plain = strip_markers(turn.get("answer", ""))
            if plain:
                rec["answers"] = [plain]
            gold = list(dict.fromkeys(c["doc_id"] for c in cites if c.get("doc_id")))
            if gold:
                rec["gold_sources"] = gold
    rec["feedback"] = {"verdict": verdict, "comment": (comment or "").strip()[:2000],
                       "answer_id": turn.get("answer_id"), "answer": turn.get("answer", ""),
                       "refused": bool(turn.get("refused")), "citations": cites, "filters": turn.get("filters"),
                       "mode": turn.get("mode"), "time": now.isoformat(timespec="seconds")}
    return rec


class FeedbackLog:
    """The feedback file; appends are serialised so concurrent clicks never interleave lines."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def record(self, turn: dict, verdict: str, comment: str = "") -> dict:
        """Write the verdict on one answer, replacing an earlier line about the same answer."""
        rec = feedback_case(turn, verdict, comment)
        key = turn.get("answer_id")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if key and self.path.exists():
                kept = [ln for ln in self.path.read_text(encoding="utf-8").splitlines()
                        if ln.strip() and json.loads(ln).get("feedback", {}).get("answer_id") != key]
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(ln + "\n" for ln in kept + [json.dumps(rec, ensure_ascii=False)]),
                               encoding="utf-8")
                os.replace(tmp, self.path)
            else:
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return rec

    def find(self, answer_id: str) -> dict | None:
        if not self.path.exists():
            return None
        for ln in self.path.read_text(encoding="utf-8").splitlines():
            if ln.strip() and (rec := json.loads(ln)).get("feedback", {}).get("answer_id") == answer_id:
                return rec
        return None


def feedback_cases(path: str | Path) -> list[dict]:
    """The feedback file as eval-suite cases (only the suite's fields), e.g. to append to a suite."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out.append({k: rec[k] for k in SUITE_FIELDS if k in rec})
    return out
