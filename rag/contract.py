"""The answer contract: what every face (CLI, web chat, HTTP APIs, eval harness) receives.

`Assistant.ask` builds one `Answer`; every face serialises it with `Answer.to_json()`, so the
same question gives the same bytes from `hoidap ask --json`, `/api/ask` and the eval record.
Requests are checked here too (`parse_filters`, `check_top_k`, `check_mode`,
`parse_history`), so the CLI and the web app accept and refuse exactly the same input.

    >>> a = Answer(question="q", answer=refusal("vi"), refused=True)
    >>> Answer.model_validate_json(a.to_json()) == a
    True
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag.models import Hit
from rag.settings import Settings
from rag.store import Filters

REFUSALS = {
    "vi": "Không tìm thấy thông tin này trong các bài viết đã nạp.",
    "en": "The ingested articles do not contain this information.",
}
TOP_K_MIN, TOP_K_MAX = 1, 20  # passages an answer may be built from (CLI, web slider, APIs)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def refusal(language: str | None) -> str:
    """The one refusal sentence, in English for English questions and Vietnamese otherwise."""
    return REFUSALS["en" if language == "en" else "vi"]


class RequestError(ValueError):
    """Input a face must refuse (bad filter, top_k, mode, history); the message names the field."""


class Citation(BaseModel):
    """One numbered source of an answer: the quoted sentence and where it stands."""

    model_config = ConfigDict(extra="forbid")

    n: int
    doc_id: str
    title: str | None = None
    published: str | None = None
    url: str | None = None
    source_name: str | None = None
    province: str | None = None
    quote: str  # verbatim from the article
    chunk_id: str
    passage: str  # the whole retrieved passage the quote comes from
    start: int  # character offsets of the quote in the article's cleaned text
    end: int
    doc_number: str | None = None  # an official document's number ("25-KH/BTGTU")
    ocr: bool = False  # the passage was read from a scan by OCR (words may be misread)

    @classmethod
    def from_hit(cls, n: int, hit: Hit, start: int, end: int) -> "Citation":
        """Cite `hit.text[start:end]`; offsets are turned into offsets of the whole article."""
        p = hit.payload or {}
        base = int(p.get("start", 0) or 0)
        return cls(n=n, doc_id=hit.doc_id, title=p.get("title"), published=p.get("published"),
                   url=p.get("url"), source_name=p.get("source_name"), province=p.get("province"),
                   quote=hit.text[start:end], chunk_id=hit.chunk_id, passage=hit.text,
                   start=base + start, end=base + end, doc_number=p.get("doc_number"), ocr=bool(p.get("ocr")))


class ShortAnswer(BaseModel):
    """The answer itself, before its supporting sentence: a number with its unit, a date, a
    name with its title, a place, a document or an organisation, verbatim from citation `n`."""

    model_config = ConfigDict(extra="forbid")

    text: str  # verbatim from the cited article
    kind: str  # number | date | person | place | document | organisation
    n: int  # the citation it comes from
    start: int  # character offsets of `text` in the article's cleaned text
    end: int


class Retrieved(BaseModel):
    """One retrieved passage, in rank order."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    chunk_id: str
    score: float

    @classmethod
    def from_hit(cls, hit: Hit) -> "Retrieved":
        return cls(doc_id=hit.doc_id, chunk_id=hit.chunk_id, score=round(hit.score, 6))


class Answer(BaseModel):
    """One answer to one question, with everything needed to show and check it."""

    model_config = ConfigDict(extra="forbid")

    question: str
    answer: str  # Markdown with [n] markers pointing into `citations`
    refused: bool
    short_answer: ShortAnswer | None = None  # shown first, in bold, when the question asks for one
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list)
    language: str = "vi"
    mode: str = "extractive"  # the mode that produced `answer` (llm falls back to extractive)
    notice: str | None = None  # why the requested mode was not used, or what was changed
    standalone_question: str | None = None  # a follow-up rewritten to stand alone
    search_query: str | None = None  # what was searched (diacritics restored when needed)
    confidence: float = 0.0
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def to_json(self) -> str:
        """The one serialisation every face uses (compact UTF-8 JSON, fields in declared order)."""
        return self.model_dump_json()

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# ------------------------------------------------------------------ request checks

def _date(value: Any, what: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise RequestError(f"{what} must be a date like 2024-01-31")
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RequestError(f"{what} is not a real date: {value.strip()}") from None
    return value.strip()


def parse_filters(province: Any = None, since: Any = None, until: Any = None,
                  source_name: Any = None) -> Filters | None:
    """Checked hard filters, or None when none is set. Province names may be typed without
    accents; dates are ISO days and `since` may not be after `until`."""
    from rag.gazetteer import match_province

    prov = None
    if province is not None and str(province).strip():
        if not isinstance(province, str):
            raise RequestError("filters.province must be a string")
        prov = match_province(province)
        if not prov:
            raise RequestError(f"unknown province {province!r}")
    s = _date(since, "filters.since")
    u = _date(until, "filters.until")
    if s and u and s > u:
        raise RequestError("filters.since is after filters.until")
    src = None
    if source_name is not None and str(source_name).strip():
        if not isinstance(source_name, str):
            raise RequestError("filters.source_name must be a string")
        src = source_name.strip()
    if not (prov or s or u or src):
        return None
    return Filters(province=prov, since=s, until=u, source_name=src)


def check_top_k(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not TOP_K_MIN <= value <= TOP_K_MAX:
        raise RequestError(f"'top_k' must be an integer from {TOP_K_MIN} to {TOP_K_MAX}")
    return value


def check_mode(value: Any, settings: Settings) -> str | None:
    if value is None:
        return None
    if value not in ("extractive", "llm"):
        raise RequestError("'mode' must be 'extractive' or 'llm'")
    if value == "llm" and not settings.llm_configured:
        raise RequestError("LLM mode is not configured (set HOIDAP_LLM_URL or HOIDAP_LLM_GGUF)")
    return value


def parse_history(history: Any) -> list[dict]:
    """[{role, content}] of user/assistant turns; system turns are dropped."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise RequestError("history must be a list of {role, content}")
    out = []
    for i, t in enumerate(history):
        if not isinstance(t, dict) or t.get("role") not in ("user", "assistant", "system") \
                or not isinstance(t.get("content"), str):
            raise RequestError(f"history[{i}] must be {{\"role\": \"user\"|\"assistant\", \"content\": str}}")
        if t["role"] != "system":
            out.append({"role": t["role"], "content": t["content"]})
    return out
