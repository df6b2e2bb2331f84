"""Citation checks: every [n] a model writes must point at a passage that supports the sentence
it ends; unsupported markers are moved to the passage that does, or removed.

    clean, citations, dropped = verify_citations("Ông A làm Bí thư [2].", hits)
    # clean: markers renumbered 1..K; citations[k-1] quotes the supporting sentence of passage k
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from rag import questions, vntext
from rag.contract import Citation
from rag.models import Hit

SUPPORT_THRESHOLD = 0.5  # share of a claim's content syllables found in the cited passage

# [1] [1, 3] [1;2] [1-3] [Passage 2] [Đoạn 2]
CITE_RE = re.compile(
    r"\[\s*(?:(?:passage|đoạn(?: trích)?|nguồn|source)\s*)?(\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_ECHO_MARKER_RE = re.compile(r"<<<\s*(?:PASSAGE|END)\s*\d*\s*>>>\s*", re.IGNORECASE)
_QUOTED_RE = re.compile(r"“([^”]+)”|\"([^\"]+)\"|«([^»]+)»")
_WORD_RE = re.compile(r"\w")
# vntext.syllables()' token pattern, applied here to text whose case is kept.
_TOKEN_RE = re.compile(r"\d+(?:[.,/:]\d+)+|[^\W_]+")

Score = tuple[float, "int | None"]  # (share of the claim's terms in the passage, offset of a verbatim quote)


def _numbers(spec: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", spec.strip()):
        m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            out.extend(range(a, b + 1) if 0 < b - a < 10 else [a, b])
        elif part:
            out.append(int(part))
    return out


def _key(tok: str) -> str:
    """Comparison form of a token: folded; numbers without separators ("120.000" = "120,000")."""
    tok = vntext.fold(tok.lower())
    return re.sub(r"[.,]", "", tok) if tok[:1].isdigit() else tok


def _terms(text: str, language: str | None = None) -> set[str]:
    """What a claim must share with a passage. Vietnamese: its content syllables. English (the
    passages stay Vietnamese): only its anchors, i.e. words with Vietnamese diacritics, numbers,
    and capitalised words after the first (names), since translated words cannot match."""
    if language != "en":
        return {_key(t) for t in questions.content_terms(text)}
    content = set(questions.content_terms(text))
    out = set()
    for i, tok in enumerate(_TOKEN_RE.findall(vntext.normalize(text))):
        if tok.lower() not in content:
            continue  # an English/Vietnamese function word
        if vntext.has_diacritics(tok) or any(c.isdigit() for c in tok) or (i > 0 and tok[:1].isupper()):
            out.add(_key(tok))
    return out


def _syl_set(text: str) -> set[str]:
    return {_key(s) for s in vntext.syllables(text)}


class _Passage:
    """Folded syllables of a passage (text + the header the model saw) and of its sentences."""

    def __init__(self, hit: Hit):
        self.hit = hit
        p = hit.payload or {}
        header = " ".join(str(p[k]) for k in ("title", "source_name", "province") if p.get(k))
        self.vocab = _syl_set(hit.text) | _syl_set(header)
        self.norm = vntext.normalize(hit.text)
        self.spans = vntext.split_sentences(hit.text) or [(0, len(hit.text))]
        self.sent_vocab = [_syl_set(hit.text[a:b]) for a, b in self.spans]


def _quotes(claim: str) -> list[str]:
    out = []
    for m in _QUOTED_RE.finditer(claim):
        q = next(g for g in m.groups() if g is not None).strip()
        if len(vntext.syllables(q)) >= 2:  # a one-word "quote" proves nothing
            out.append(q)
    return out


def _quote_at(quote: str, passage: _Passage) -> int | None:
    words = vntext.normalize(quote).split()
    if not words:
        return None
    m = re.search(r"\s+".join(map(re.escape, words)), passage.norm)
    return m.start() if m else None


def _support(claim: str, terms: set[str], passage: _Passage) -> Score:
    """(overlap share, offset of a verbatim quote or None); supported when share >= threshold or quote."""
    share = len(terms & passage.vocab) / len(terms) if terms else 0.0
    at = None
    for q in _quotes(claim):
        at = _quote_at(q, passage)
        if at is not None:
            break
    return share, at


def _supported(score: Score) -> bool:
    return score[0] >= SUPPORT_THRESHOLD or score[1] is not None


def _best_sentence(terms: set[str], quote_at: int | None, passage: _Passage) -> tuple[int, float]:
    """Index of the passage sentence that best supports the claim, and its score."""
    if quote_at is not None:
        for i, (a, b) in enumerate(passage.spans):
            if a <= quote_at < b:
                return i, 1.0
    best, best_score = 0, -1.0
    for i, vocab in enumerate(passage.sent_vocab):
        if not vocab:
            continue
        hit = len(terms & vocab)
        score = hit / len(terms) if terms else 0.0
        score += 1e-3 * hit / len(vocab)  # tie-break: the tighter sentence
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _claim(text: str, start: int, end: int) -> str:
    """The sentence ending at `end` (a citation), not reaching back before `start`."""
    seg = text[start:end]
    spans = [(a, b) for a, b in vntext.split_sentences(seg) if _WORD_RE.search(seg[a:b])]
    if not spans:
        return ""
    i = len(spans) - 1
    a = spans[i][0]
    # Do not cut inside a quotation that opened in an earlier "sentence".
    while i > 0 and (seg[a:].count("“") < seg[a:].count("”") or seg[a:].count('"') % 2):
        i -= 1
        a = spans[i][0]
    return seg[a:].strip()


@dataclass
class _Cluster:
    """Adjacent markers ("[1][2]", "[1], [3]") at text[start:end], and what survives the check."""

    start: int
    end: int
    nums: list[int]
    kept: list[int] = field(default_factory=list)


def _clusters(text: str) -> list[_Cluster]:
    out: list[_Cluster] = []
    for m in CITE_RE.finditer(text):
        nums = _numbers(m.group(1))
        if out and re.fullmatch(r"[\s,;]*", text[out[-1].end : m.start()]):
            out[-1].end = m.end()
            out[-1].nums.extend(nums)
        else:
            out.append(_Cluster(m.start(), m.end(), nums))
    return out


def _check_cluster(c: _Cluster, claim: str, n_hits: int, score: Callable[[int], Score]) -> int:
    """Fill `c.kept` with the cited passages that support `claim`, an unsupported one replaced by
    the passage that supports the claim best, if any; returns how many references were removed."""
    dropped = 0
    for n in dict.fromkeys(c.nums):  # de-duplicated, order kept
        if 1 <= n <= n_hits and claim and _supported(score(n)):
            if n not in c.kept:
                c.kept.append(n)
            continue
        repair = None
        if claim:
            best = max(range(1, n_hits + 1), key=lambda k: (_supported(score(k)), score(k)[1] is not None,
                                                             score(k)[0], -k), default=None)
            if best is not None and _supported(score(best)):
                repair = best
        if repair is None or repair in c.kept or repair in c.nums:
            dropped += 1  # removed (a repair to a passage the cluster already cites adds nothing)
            continue
        c.kept.append(repair)
    return dropped


def _rebuild(text: str, clusters: list[_Cluster]) -> tuple[str, dict[int, int]]:
    """The text with kept markers renumbered 1..K in order of first appearance, removed ones
    gone; and the renumbering {passage number: new number}."""
    order: dict[int, int] = {}
    for c in clusters:
        for n in c.kept:
            order.setdefault(n, len(order) + 1)
    out: list[str] = []
    pos = 0
    for c in clusters:
        chunk = text[pos:c.start]
        if c.kept:
            out.append(chunk)
            lead = "" if chunk.endswith((" ", "\n")) or not chunk else " "
            out.append(lead + "[" + ", ".join(map(str, sorted(order[n] for n in c.kept))) + "]")
        else:
            nxt = text[c.end : c.end + 1]
            if not nxt or nxt.isspace() or nxt in ".,;:!?)…":
                chunk = chunk.rstrip(" \t")
            out.append(chunk)
        pos = c.end
    out.append(text[pos:])
    return re.sub(r"(?<=\S)[ \t]{2,}(?=\S)", " ", "".join(out)).strip(), order  # not indentation


def _quote_sentence(p: _Passage, claims: list[tuple[set[str], int | None]]) -> int:
    """The sentence behind the first claim citing this passage, unless only a later claim finds
    a convincing one."""
    best_i, best_s = 0, -1.0
    for terms, at in claims:
        i, s = _best_sentence(terms, at, p)
        if s >= SUPPORT_THRESHOLD:
            return i
        if s > best_s:
            best_i, best_s = i, s
    return best_i


def verify_citations(text: str, hits: list[Hit], language: str | None = None) -> tuple[str, list[Citation], int]:
    """Keep an [n] only when passage n exists and supports the sentence the marker ends
    (≥ 50 % of its content syllables, folded, occur in the passage, or a quoted “…” span of it
    occurs verbatim there); an unsupported marker is moved to the passage that supports the
    sentence best, if any, else removed. Kept markers are renumbered 1..K in order of first
    appearance. Returns (clean text, citations for 1..K, number of references removed).
    language="en": an English sentence is checked on its anchors only (see _terms)."""
    text = _ECHO_MARKER_RE.sub("", text)
    passages: dict[int, _Passage] = {}

    def passage(n: int) -> _Passage:
        if n not in passages:
            passages[n] = _Passage(hits[n - 1])
        return passages[n]

    clusters = _clusters(text)
    dropped, prev_end, prev_claim = 0, 0, ""
    claims_for: dict[int, list[tuple[set[str], int | None]]] = {}
    for c in clusters:
        claim = _claim(text, prev_end, c.start) or prev_claim
        prev_end, prev_claim = c.end, claim
        terms = _terms(claim, language)
        scores: dict[int, Score] = {}

        def score(n: int, claim=claim, terms=terms, scores=scores) -> Score:
            if n not in scores:
                scores[n] = _support(claim, terms, passage(n))
            return scores[n]

        dropped += _check_cluster(c, claim, len(hits), score)
        for n in c.kept:
            claims_for.setdefault(n, []).append((terms, score(n)[1]))
    clean, order = _rebuild(text, clusters)
    citations = [Citation.from_hit(k, passage(n).hit, *passage(n).spans[_quote_sentence(passage(n), claims_for[n])])
                 for n, k in sorted(order.items(), key=lambda kv: kv[1])]
    return clean, citations, dropped
