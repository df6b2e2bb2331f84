"""What a question asks for: its type, its content terms, its language, and follow-up rewriting."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag import spans, vntext

# Folded patterns so unaccented questions classify the same way as accented ones.
_TYPES = [
    ("list", r"\b(nhung|cac|tinh|dia phuong|tinh thanh|huyen|don vi|co quan) nao\b|\bliet ke\b|\bke ten\b|\bwhich (provinces|ones)\b|\blist\b"),
    ("number", r"\bbao nhieu\b|\bmay\b|\bso luong\b|\bty le\b|\bhow (many|much)\b|\bwhat (number|percentage)\b"),
    ("date", r"\b(ngay|thang|nam|thoi gian|luc|dip) nao\b|\bkhi nao\b|\bbao gio\b|\bluc nao\b|\bwhen\b|\bwhat (date|year|day)\b"),
    ("person", r"\bai\b|\b(nguoi|dong chi|ong|ba) nao\b|\bwho\b|\bwhose\b"),
    ("place", r"\bo dau\b|\b(noi|tinh|dia phuong|huyen|xa) nao\b|\bwhere\b|\bwhich province\b"),
]
_TYPES = [(name, re.compile(p)) for name, p in _TYPES]

# Words that shape a question but do not say what it is about. Accented tokens are compared
# with the accented list (so "cơ quan" keeps "cơ" although "có" is a stop word); tokens typed
# without diacritics with its folded form.
_STOP_VI = set("""
nào gì ai đâu sao bao nhiêu mấy không có là và của cho với tại trong trên được đã sẽ đang thì mà này đó
những các một hay hoặc thế như vậy khi từ đến về theo bởi vì nên nếu ở ra vào bài viết nói bằng cách
gồm biết hỏi rằng hãy
""".split())
_STOP_EN = set("""
the a an of in on at to for and or is are was were what which who whom whose when where why how do does
did by with from that this these those be been it its as
""".split())
_STOP_FOLD = {vntext.fold(w) for w in _STOP_VI} | _STOP_EN


def _is_stop(tok: str) -> bool:
    return tok in _STOP_VI or tok in _STOP_EN if vntext.has_diacritics(tok) else tok in _STOP_FOLD


# Words that point back to an earlier turn.
_ANAPHORA = re.compile(r"\b(do|nay|ay|tren|nhu vay|ho|ong ay|ba ay|that|it|they|those|this|these)\b")


@dataclass
class Question:
    text: str
    qtype: str  # list | number | date | person | place | fact
    terms: list[str]  # tone-normalised content syllables, lower case
    folded: list[str]
    # what the short answer is (number, date, person, place, document, organisation) and what
    # span finding needs to know of the question (rag.spans); None for why/how/what questions
    kind: str | None = None
    span_q: spans.SpanQuestion | None = None


def classify(text: str) -> str:
    f = vntext.fold(text.lower())
    for name, rx in _TYPES:
        if rx.search(f):
            return name
    return "fact"


def content_terms(text: str) -> list[str]:
    return [s for s in vntext.syllables(text) if not _is_stop(s)]


def parse(text: str) -> Question:
    terms = content_terms(text)
    sq = spans.parse_spans_question(text, terms)
    return Question(text=text, qtype=classify(text), terms=terms, folded=[vntext.fold(t) for t in terms],
                    kind=sq.kind, span_q=sq)


def is_followup(text: str, history: list[dict] | None) -> bool:
    if not history:
        return False
    f = vntext.fold(text.lower())
    return bool(_ANAPHORA.search(f)) or len(content_terms(text)) <= 3


def standalone(text: str, history: list[dict] | None) -> str:
    """Without an LLM: carry the content words of the previous user turn into a follow-up."""
    if not is_followup(text, history):
        return text
    prev = [h.get("content", "") for h in history or [] if h.get("role") == "user"]
    if not prev:
        return text
    carried = vntext.display(prev[-1]).strip().rstrip("?").strip()
    return f"{text} ({carried})" if carried else text


def detect_language(text: str) -> str:
    """'vi' unless the question is clearly in another language; robust for short/unaccented text."""
    if vntext.has_diacritics(text) or vntext.is_unaccented(text):
        return "vi"
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) < 3:
        return "vi"
    # langdetect wavers on short questions full of names ("Dak Lak ... 25-KH/BTGTU": en 0.57,
    # id 0.43); one word in four being an English function word settles it
    if vntext.english_word_share(text) >= 0.25:
        return "en"
    try:
        from langdetect import DetectorFactory, detect_langs

        DetectorFactory.seed = 0
        best = detect_langs(text)[0]
        return best.lang if best.prob >= 0.8 else "vi"
    except Exception:
        return "vi"
