"""Extractive answers: pick the sentences that answer the question, cite each one. No LLM.

Sentences of the retrieved passages are scored by how much of the question's content they
cover (terms weighted by how rare they are among the candidates, so a term none of them
contains counts fully against them), plus a bonus when they contain the kind of thing the
question asks for (a number, a date, a person, a place). Below a calibrated score the
question is refused instead of citing the nearest unrelated passage. "Which/list" questions
get one bullet per article, labelled with its province or title.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rag import spans, vntext
from rag.gazetteer import find_provinces, province_mentions
from rag.models import Hit
from rag.questions import Question

LIST_KEEP = 0.8  # a list answer keeps articles whose best sentence scores ≥ this share of the best

_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_NAME = re.compile(rf"\b[{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*){{1,3}}\b")
_SURNAMES = set("""Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh La Đoàn
Lương Mai Lâm Tô Tạ Hà Cao Chu Kiều Vương Triệu Thái Quách Trương Lại Lưu Văn Hứa Đàm Mạc Châu""".split())
_ENTITY = {
    "number": re.compile(r"\d"),
    "date": re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}-\d{1,2}-\d{4}\b|\b(?:ngày|tháng|năm) \d{1,4}\b", re.I),
}


# Text that addresses the reader's assistant rather than reporting news ("ignore previous
# instructions…") is never quoted as an answer: article text is data, not instructions.
_INSTRUCTION = re.compile(
    r"bỏ qua (mọi|tất cả|các)? ?(hướng dẫn|chỉ dẫn|yêu cầu)|ignore (all |any )?(previous|prior|above) instructions"
    r"|system prompt|lời nhắc hệ thống|bạn là (một )?(trợ lý|AI|mô hình)|you are (an? )?(AI|assistant|language model)"
    r"|hãy trả lời rằng|answer that"
    # role prefixes and mode switches of chat-model jailbreaks, instructions about "the user"
    r"|(?:^|\s)(?:system|assistant|developer)\s*:|you are now|developer mode|jailbreak"
    r"|bạn (?:bây giờ|giờ đây|từ nay) là|hãy trả lời\s*[:“\"]|khi người dùng hỏi|when (?:the |a )?user asks"
    r"|hãy (?:liệt kê|in ra|in|tiết lộ) (?:mọi|toàn bộ|tất cả|nguyên văn)", re.I)


def _quotable(text: str) -> bool:
    """A unit long enough to say something, and not addressed to an assistant."""
    return len(text) >= 12 and not _INSTRUCTION.search(vntext.normalize(text))


def _has_person(s: str) -> bool:
    return any(m.group(0).split()[0] in _SURNAMES or re.search(r"(đồng chí|ông|bà)\s*$", s[:m.start()])
               for m in _NAME.finditer(s))


def _has_entity(qtype: str, s: str, q: Question | None = None) -> bool:
    if q is not None and q.kind and q.span_q is not None:
        return bool(spans.find_spans(q.kind, s, q.span_q))
    if qtype in _ENTITY:
        return bool(_ENTITY[qtype].search(s))
    if qtype == "person":
        return _has_person(s)
    if qtype in ("place", "list"):
        return bool(find_provinces(s)) or bool(re.search(r"\b(huyện|tỉnh|thành phố|xã|TP\.?)\s+[" + _UP + "]", s))
    return True


@dataclass
class Candidate:
    hit: Hit
    rank: int
    start: int  # offsets inside the chunk text
    end: int
    text: str
    score: float = 0.0


@dataclass
class Short:
    """The short answer: a span of picks[pick].hit.text (offsets inside the chunk text)."""

    pick: int
    start: int
    end: int
    text: str
    kind: str


@dataclass
class Extracted:
    refused: bool
    picks: list[Candidate]  # in answer order
    list_answer: bool
    best_score: float
    short: Short | None = None


def short_answer(q: Question, picks: list[Candidate]) -> Short | None:
    """The span the question asks for, from the first pick that holds one (rag.spans). A place
    question answered by a sentence that never names its place takes the article's province
    where the same passage names it."""
    if not q.kind or q.span_q is None or not picks:
        return None
    for i, c in enumerate(picks):
        sp = spans.best_span(q.kind, c.text, q.span_q)
        if sp is not None:
            return Short(i, c.start + sp.start, c.start + sp.end, sp.text, q.kind)
    prov = picks[0].hit.payload.get("province")
    if q.kind == "place" and prov and not spans.in_question(prov, q.span_q):
        text = picks[0].hit.text
        if len(vntext.normalize(text)) == len(text):
            for canon, a, b in province_mentions(text):
                if canon == prov:
                    return Short(0, a, b, text[a:b], "place")
    return None


def _units(text: str, long: int = 220):
    """Sentences, with long ones cut at "; " into clauses: a quote should be the clause that
    answers, not a 400-character sentence listing five achievements."""
    for s, e in vntext.split_sentences(text):
        if e - s <= long or "; " not in text[s:e]:
            yield s, e
            continue
        pos = s
        while pos < e:
            cut = text.find("; ", pos, e)
            end = e if cut < 0 else cut + 1
            yield pos, end
            pos = end + 1 if cut >= 0 else e


def _fold_set(text: str) -> set[str]:
    return {vntext.fold(s) for s in vntext.syllables(text)}


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:]))


def score_candidates(q: Question, hits: list[Hit], extra_terms: list[str] | None = None) -> list[Candidate]:
    terms = list(dict.fromkeys(q.folded))
    extra = [t for t in dict.fromkeys(vntext.fold(x) for x in extra_terms or []) if t not in terms]
    if not terms and not extra:
        return []
    # rarity among the retrieved chunks: a term every candidate has says little
    chunk_sets = [_fold_set(h.text) | _fold_set(h.title or "") for h in hits]
    n = max(1, len(hits))
    weight = {t: math.log(1 + (n + 1) / (sum(t in cs for cs in chunk_sets) + 0.5)) for t in terms + extra}
    total = sum(weight[t] for t in terms) + 0.5 * sum(weight[t] for t in extra)
    q_bigrams = _bigrams(q.folded)
    out: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for rank, h in enumerate(hits):
        context = _fold_set(" ".join(str(h.payload.get(k) or "") for k in ("title", "province")))
        for s, e in _units(h.text):
            text = h.text[s:e]
            key = (h.doc_id, vntext.normalize(text))
            if key in seen or not _quotable(text):
                continue
            seen.add(key)
            toks = [vntext.fold(x) for x in vntext.syllables(text)]
            have = set(toks)
            got = 0.0
            for t in terms:
                got += weight[t] if t in have else (0.5 * weight[t] if t in context else 0.0)
            for t in extra:
                got += 0.5 * weight[t] if t in have or t in context else 0.0
            cover = got / total if total else 0.0
            phrase = len(q_bigrams & _bigrams(toks)) / len(q_bigrams) if q_bigrams else 0.0
            typed = 0.1 if _has_entity(q.qtype, text, q) else -0.1
            score = cover + 0.15 * phrase + typed - 0.01 * rank
            out.append(Candidate(hit=h, rank=rank, start=s, end=e, text=text, score=score))
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def extract(q: Question, hits: list[Hit], refuse_below: float, extra_terms: list[str] | None = None,
            max_sentences: int = 2) -> Extracted:
    """The answer's sentences; refused when the best scores below `refuse_below` (the
    `refuse_below` setting, calibrated on data by bench/calibrate_refusal.py)."""
    cands = score_candidates(q, hits, extra_terms)
    if not cands or cands[0].score < refuse_below:
        return Extracted(refused=True, picks=[], list_answer=False, best_score=cands[0].score if cands else 0.0)
    best = cands[0].score
    if q.qtype in ("list", "place"):
        per_doc: dict[str, Candidate] = {}
        for c in cands:
            if c.hit.doc_id not in per_doc:
                per_doc[c.hit.doc_id] = c
        picks = [c for c in per_doc.values() if c.score >= max(refuse_below, LIST_KEEP * best)]
        if len(picks) > 1 or q.qtype == "list":
            many = len(picks) > 1
            return Extracted(refused=False, picks=picks, list_answer=many, best_score=best,
                             short=None if many else short_answer(q, picks))
    picks = [cands[0]]
    for c in cands[1:]:
        if len(picks) >= max_sentences:
            break
        # a second sentence only when it is nearly as good and adds something (another passage)
        if c.score >= 0.9 * best and c.hit.chunk_id != picks[0].hit.chunk_id:
            picks.append(c)
    return Extracted(refused=False, picks=picks, list_answer=False, best_score=best, short=short_answer(q, picks))


# Questions in another language (English) share almost no words with Vietnamese passages, so
# word coverage cannot pick or refuse for them. Their sentences are scored by the embedder's own
# cross-lingual similarity instead (e5 is multilingual), only over the top passages since each
# sentence must be embedded at question time. Similarity alone does not separate answerable
# from unanswerable questions (news suite: answering sentences at cosine 0.77-0.82, the weather
# question's nearest sentence at 0.80), so an answer also needs an anchor: a name or code of the
# question ("Dak Lak", "25-KH/BTGTU") found in the passages. Provisional: five English cases.
CROSS_MIN_SIM = 0.76
CROSS_PASSAGES = 3
CROSS_MAX_UNITS = 24


def extract_crosslingual(q: Question, hits: list[Hit], q_vec, embed_passages, max_sentences: int = 2,
                         min_sim: float = CROSS_MIN_SIM) -> Extracted:
    """Pick sentences for a question in another language by embedding similarity, plus a small
    bonus for the kind of thing it asks for and for names/codes it shares with the sentence
    ("Dak Lak", "25-KH/BTGTU")."""
    import numpy as np

    units: list[Candidate] = []
    for rank, h in enumerate(hits[:CROSS_PASSAGES]):
        for s, e in _units(h.text):
            text = h.text[s:e]
            if _quotable(text):
                units.append(Candidate(hit=h, rank=rank, start=s, end=e, text=text))
    units = units[:CROSS_MAX_UNITS]
    if not units:
        return Extracted(refused=True, picks=[], list_answer=False, best_score=0.0)
    sims = np.asarray(embed_passages([u.text for u in units])) @ np.asarray(q_vec)
    terms = set(q.folded)
    for u, sim in zip(units, sims):
        shared = len(terms & _fold_set(u.text)) / max(1, len(terms))
        u.score = float(sim) + 0.05 * shared + (0.02 if _has_entity(q.qtype, u.text, q) else 0.0)
    units.sort(key=lambda c: c.score, reverse=True)
    best_sim = float(sims.max())
    seen = set().union(*(_fold_set(f"{h.title or ''} {h.text}") for h in hits[:CROSS_PASSAGES]))
    # the anchor must be a word or code, not a stray "1" or "or" that any passage contains
    anchors = {t for t in terms if len(t) >= 3}
    if best_sim < min_sim or not anchors & seen:
        return Extracted(refused=True, picks=[], list_answer=False, best_score=best_sim)
    picks = [units[0]]
    for c in units[1:max_sentences]:
        if c.score >= units[0].score - 0.01 and c.hit.chunk_id != picks[0].hit.chunk_id:
            picks.append(c)
    return Extracted(refused=False, picks=picks, list_answer=False, best_score=best_sim, short=short_answer(q, picks))


# Questions about the article itself rather than its content (folded patterns).
_META = [
    ("author", re.compile(r"\btac gia\b|\b(ai|nguoi) viet\b|\bdo ai viet\b|\bbut danh\b|\bwho wrote\b|\bauthor\b")),
    ("published", re.compile(r"\b(dang|xuat ban|dang tai)( vao)? (ngay|luc|khi) nao\b|\bngay dang\b|\bkhi nao\b.*\bduoc dang\b"
                             r"|\bduoc dang\b.*\b(ngay|khi) nao\b|\bwhen was\b.*\bpublished\b")),
    ("source_name", re.compile(r"\b(bao|trang|nguon|website|trang tin) nao\b|\bdang tren (bao|trang)\b|\bwhich (newspaper|site)\b")),
]


def metadata_question(text: str) -> str | None:
    f = vntext.fold(text.lower())
    for field, rx in _META:
        if rx.search(f):
            return field
    return None


def metadata_pick(field: str, hits: list[Hit]) -> Candidate | None:
    """The best-ranked article that has the asked field; the quote is its passage's first sentence
    (the byline and dateline are metadata, not article text)."""
    for rank, h in enumerate(hits[:3]):
        if h.payload.get(field):
            spans = list(_units(h.text))
            s, e = spans[0] if spans else (0, len(h.text))
            return Candidate(hit=h, rank=rank, start=s, end=e, text=h.text[s:e], score=1.0)
    return None


def label(hit: Hit) -> str:
    """How a list bullet names its article: the province it is about, else its title."""
    return hit.payload.get("province") or hit.payload.get("title") or hit.doc_id

