"""Evaluation metrics: pure functions over plain values.

Undefined values are returned as None (never 0) so that `summarize` can skip them:
  - retrieval metrics (hit/recall/MRR/nDCG) and citation recall: undefined without gold ids
    (typically unanswerable cases);
  - citation precision: undefined when nothing was cited;
  - exact match / token F1 / answer recall: undefined without gold answers;
  - must-contain: undefined without groups;
  - quote verbatim share: undefined without quotes;
  - refusal precision (recall): undefined when nothing was refused (no case is unanswerable);
  - percentile: undefined for an empty list.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from rag import vntext
from rag.spans import answer_type as _answer_type

# ---------------------------------------------------------------- text normalization


def vn_normalize(text: str) -> str:
    """NFC + one tone-mark convention (the index form of rag.vntext)."""
    return vntext.normalize(text)


def _collapse_ws(text: str) -> str:
    return " ".join(text.split())


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


_NUM_SEP = re.compile(r"(?<=\d)[.,/:\-](?=\d)")


def normalize_answer(text: str) -> str:
    """SQuAD-style normalization for Vietnamese: NFC + tones, lowercase, punctuation → space,
    whitespace collapsed. Separators inside numbers ("11,5", "10/1/2022", "2020-2025") are kept
    so a number stays one token."""
    text = vn_normalize(text).lower()
    keep = {m.start() for m in _NUM_SEP.finditer(text)}
    text = "".join(" " if _is_punct(c) and i not in keep else c for i, c in enumerate(text))
    return _collapse_ws(text)


def answer_tokens(text: str) -> list[str]:
    """Syllables: whitespace-separated tokens of the normalized text."""
    return normalize_answer(text).split()


# ---------------------------------------------------------------- retrieval (document level)

def dedup(ranked: Iterable[str]) -> list[str]:
    """Remove duplicates, first occurrence wins (chunks → documents)."""
    return list(dict.fromkeys(ranked))


def _top(ranked: Sequence[str], k: int) -> list[str]:
    if k < 1:
        raise ValueError("k must be >= 1")
    return dedup(ranked)[:k]


def hit_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """1.0 if any gold id is in the top k, else 0.0; None without gold."""
    gold = set(gold)
    if not gold:
        return None
    return float(any(d in gold for d in _top(ranked, k)))


def recall_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """Share of the gold ids found in the top k; None without gold."""
    gold = set(gold)
    if not gold:
        return None
    return len(gold.intersection(_top(ranked, k))) / len(gold)


def mrr_at(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float | None:
    """1/rank of the first gold id within the top k (0.0 if none); None without gold."""
    gold = set(gold)
    if not gold:
        return None
    for rank, d in enumerate(_top(ranked, k), 1):
        if d in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG; the ideal DCG puts min(|gold|, k) relevant ids first. None without gold."""
    gold = set(gold)
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(r + 1) for r, d in enumerate(_top(ranked, k), 1) if d in gold)
    idcg = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / idcg


# ---------------------------------------------------------------- answers

def _mc_normalize(text: str) -> str:
    return _collapse_ws(vn_normalize(text).lower())


def contains_phrase(text: str, phrase: str) -> bool:
    """Case-insensitive, tone-normalized containment that does not split words: "12" is not
    found in "2012", "Sơn La" is not found in "Sơn Lao"."""
    t, p = _mc_normalize(text), _mc_normalize(phrase)
    if not p:
        return False
    left = r"(?<!\w)" if re.match(r"\w", p[0]) else ""
    right = r"(?!\w)" if re.match(r"\w", p[-1]) else ""
    return re.search(left + re.escape(p) + right, t) is not None


def must_contain_pass(answer: str, groups: Sequence[Sequence[str]]) -> float | None:
    """1.0 when every group has at least one alternative in the answer; None without groups."""
    if not groups:
        return None
    return float(all(any(contains_phrase(answer, alt) for alt in g) for g in groups))


def exact_match(answer: str, answers: Sequence[str]) -> float | None:
    """1.0 if the normalized answer equals a normalized gold answer; None without gold answers."""
    if not answers:
        return None
    a = normalize_answer(answer)
    return float(any(a == normalize_answer(g) for g in answers))


def _f1(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)  # SQuAD: both empty counts as a match
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    p, r = same / len(pred), same / len(gold)
    return 2 * p * r / (p + r)


def token_f1(answer: str, answers: Sequence[str]) -> float | None:
    """Max over gold answers of syllable-level F1; None without gold answers."""
    if not answers:
        return None
    pred = answer_tokens(answer)
    return max(_f1(pred, answer_tokens(g)) for g in answers)


def answer_recall(answer: str, answers: Sequence[str]) -> float | None:
    """Max over gold answers of the share of its tokens (with multiplicity) present in the answer.
    Extractive answers are long, so precision-heavy EM/F1 understate them. None without gold
    answers (gold answers that normalize to nothing are ignored)."""
    pred = Counter(answer_tokens(answer))
    best = None
    for g in answers:
        gold = Counter(answer_tokens(g))
        if gold:
            share = sum((pred & gold).values()) / sum(gold.values())
            best = share if best is None else max(best, share)
    return best


# ---------------------------------------------------------------- citations

def citation_precision(cited_ids: Iterable[str], gold: Iterable[str]) -> float | None:
    """Share of distinct cited documents that are gold; None when nothing was cited or no gold."""
    cited, gold = set(cited_ids), set(gold)
    if not cited or not gold:
        return None
    return len(cited & gold) / len(cited)


def citation_recall(cited_ids: Iterable[str], gold: Iterable[str]) -> float | None:
    """Share of gold documents that were cited; None without gold."""
    cited, gold = set(cited_ids), set(gold)
    if not gold:
        return None
    return len(cited & gold) / len(gold)


def _verbatim_norm(text: str) -> str:
    return _collapse_ws(unicodedata.normalize("NFC", text))


def quote_verbatim_share(quotes_with_doc_texts: Sequence[tuple[str, str | None]]) -> float | None:
    """Share of (quote, cited document text) pairs whose quote occurs verbatim in the text, after
    NFC and whitespace collapsing only (no case or tone folding: a quote must be a quote).
    A None document text (cited id unknown) counts as not verbatim. None without quotes."""
    if not quotes_with_doc_texts:
        return None
    ok = sum(
        1 for q, doc in quotes_with_doc_texts
        if doc is not None and _verbatim_norm(q) and _verbatim_norm(q) in _verbatim_norm(doc)
    )
    return ok / len(quotes_with_doc_texts)


# ---------------------------------------------------------------- refusal

def refusal_precision_recall(refused: Sequence[bool], unanswerable: Sequence[bool]) -> tuple[float | None, float | None]:
    """Precision: share of refusals that were on unanswerable cases (None if nothing refused).
    Recall: share of unanswerable cases that were refused (None if none is unanswerable)."""
    if len(refused) != len(unanswerable):
        raise ValueError("refused and unanswerable must have the same length")
    r = np.asarray(refused, dtype=bool)
    u = np.asarray(unanswerable, dtype=bool)
    tp = int((r & u).sum())
    precision = tp / int(r.sum()) if r.any() else None
    recall = tp / int(u.sum()) if u.any() else None
    return precision, recall


# ---------------------------------------------------------------- per case

def verdict(row: Mapping[str, Any]) -> bool | None:
    """Pass/fail of one scored result row, first rule that applies:
    must-contain pass if the case has must_contain; else, for unanswerable cases, whether it was
    refused; else answer_recall >= 0.5; else hit@5. None when nothing applies."""
    if row.get("must_contain_pass") is not None:
        return row["must_contain_pass"] >= 1.0
    if row.get("unanswerable"):
        return bool(row.get("refused"))
    if row.get("answer_recall") is not None:
        return row["answer_recall"] >= 0.5
    if row.get("hit@5") is not None:
        return row["hit@5"] >= 1.0
    return None


def score_case(case: Any, row: Mapping[str, Any], doc_texts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The row (service output: answer, refused, retrieved, citations, quotes, latency_ms,
    language) plus the case's type/gold/unanswerable and every per-case metric.
    `case` is an eval.suite.Case; `doc_texts` maps doc id → article text for the quote check
    (quote_verbatim is None without it)."""
    out: dict[str, Any] = dict(row)
    out.update(id=case.id, question=case.question, type=case.type,
               gold_sources=list(case.gold_sources), unanswerable=case.unanswerable)
    answer = row.get("answer") or ""
    ranked = dedup(row.get("retrieved") or [])
    gold = case.gold_sources
    for k in (1, 3, 5, 10):
        out[f"hit@{k}"] = hit_at(ranked, gold, k)
    for k in (5, 10):
        out[f"recall@{k}"] = recall_at(ranked, gold, k)
    out["mrr@10"] = mrr_at(ranked, gold, 10)
    out["ndcg@10"] = ndcg_at(ranked, gold, 10)
    out["must_contain_pass"] = must_contain_pass(answer, case.must_contain)
    out["exact_match"] = exact_match(answer, case.answers)
    out["token_f1"] = token_f1(answer, case.answers)
    out["answer_recall"] = answer_recall(answer, case.answers)
    cited = row.get("citations") or []
    out["citation_precision"] = citation_precision(cited, gold)
    out["citation_recall"] = citation_recall(cited, gold)
    quotes = row.get("quotes") or []
    out["quote_verbatim"] = (
        quote_verbatim_share([(q.get("quote", ""), doc_texts.get(q.get("doc_id"))) for q in quotes])
        if doc_texts is not None else None
    )
    short = row.get("short_answer")
    typed = _answer_type(case.question) is not None and bool(case.answers or case.must_contain)
    # the bold short answer on its own: given at all (questions asking for a number, date, person,
    # place, document or organisation), and how close to the gold answers
    out["short_given"] = float(bool(short)) if typed and not case.unanswerable else None
    out["short_em"] = exact_match(short, case.answers) if short else None
    out["short_f1"] = token_f1(short, case.answers) if short else None
    out["refusal_correct"] = float(bool(row.get("refused")) == case.unanswerable)
    # an answerable question refused: what a user asking a fair question sees as a failure
    out["answerable_refused"] = None if case.unanswerable else float(bool(row.get("refused")))
    lang = row.get("language")
    out["language_match"] = None if not lang else float(lang == case.expected_language)
    v = verdict(out)
    out["pass"] = None if v is None else float(v)
    return out


# ---------------------------------------------------------------- aggregation

def percentile(values: Iterable[float | None], p: float) -> float | None:
    """Linear-interpolated p-th percentile (0..100) of the non-None values; None if there are none."""
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return None
    return float(np.percentile(vals, p))


# row fields that are numbers/bools but not metrics to average
NON_METRIC = frozenset({"latency_ms", "refused", "unanswerable", "confidence"})


def _is_metric(key: str, value: Any) -> bool:
    return key not in NON_METRIC and isinstance(value, (bool, int, float)) and not (
        isinstance(value, float) and math.isnan(value))


def _means(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, float], dict[str, int]]:
    sums: dict[str, list[float]] = {}
    for row in rows:
        for k, v in row.items():
            if v is not None and _is_metric(k, v):
                sums.setdefault(k, []).append(float(v))
    return {k: float(np.mean(v)) for k, v in sums.items()}, {k: len(v) for k, v in sums.items()}


def _extras(rows: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    lat = [r.get("latency_ms") for r in rows]
    pairs = [(r["refused"], r["unanswerable"]) for r in rows
             if isinstance(r.get("refused"), bool) and isinstance(r.get("unanswerable"), bool)]
    prec, rec = refusal_precision_recall([p[0] for p in pairs], [p[1] for p in pairs])
    return {
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
        "refusal_precision": prec,
        "refusal_recall": rec,
    }


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Aggregate scored rows (see score_case).

    Every numeric/bool field except latency_ms/refused/unanswerable is a metric; its mean skips
    None values (undefined for that case), and `counts` says over how many cases it was taken.
    Adds latency p50/p95 (ms), refusal precision/recall and — via the per-case metric —
    the language-match share. `by_type` holds the same per row `type` ("untyped" if missing).

    {"n": int, "overall": {metric: mean}, "counts": {metric: int},
     "by_type": {type: {"n": int, metric: mean, ...}}}
    """
    overall, counts = _means(rows)
    overall.update(_extras(rows))
    by_type: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r.get("type") or "untyped", []).append(r)
    for t, rs in sorted(groups.items()):
        means, _ = _means(rs)
        by_type[t] = {"n": len(rs), **means, **_extras(rs)}
    return {"n": len(rows), "overall": overall, "counts": counts, "by_type": by_type}
