"""Sparse lexical vectors for Qdrant's BM25 (IDF applied server-side by `Modifier.IDF`).

Two named sparse channels per chunk:
- "lex": tone-normalised syllables plus pyvi multi-syllable words ("trưởng_ban"), so
  accented queries match exact words and phrases;
- "fold": the same syllables with diacritics removed ("truong", "ban"), so a question
  typed without accents still matches.
Document side stores the BM25 term-frequency part; query side sends weight 1 per term, and
Qdrant multiplies by IDF, giving classic BM25 without keeping corpus statistics ourselves.
"""
from __future__ import annotations

import zlib
from collections import Counter

from qdrant_client import models

from rag import vntext

K1 = 1.2
B = 0.75
# Chunks are built to a fixed token budget, so their lengths cluster; a constant average
# length keeps the document weights independent of what else is in the collection.
AVG_LEN = {"lex": 230.0, "fold": 190.0}
CHANNELS = ("lex", "fold")


def term_id(term: str) -> int:
    # crc32 is C-fast and stable across runs/machines; collisions are rare at news-vocabulary size
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def tokens(text: str, channel: str, segment_words: bool = True) -> list[str]:
    syl = vntext.syllables(text)
    if channel == "fold":
        return [vntext.fold(s) for s in syl]
    if segment_words:
        return syl + vntext.words(text)
    return syl


def _sparse(counter: Counter, weight) -> models.SparseVector:
    merged: dict[int, float] = {}
    for term, tf in counter.items():
        i = term_id(term)
        merged[i] = merged.get(i, 0.0) + weight(tf)
    idx = sorted(merged)
    return models.SparseVector(indices=idx, values=[float(merged[i]) for i in idx])


def doc_vectors(text: str, segment_words: bool = True) -> dict[str, models.SparseVector]:
    """`segment_words=False` skips pyvi's compound words (6 ms a passage): benchmarks only."""
    out = {}
    for ch in CHANNELS:
        toks = tokens(text, ch, segment_words)
        norm = K1 * (1 - B + B * len(toks) / AVG_LEN[ch])
        out[ch] = _sparse(Counter(toks), lambda tf, n=norm: tf * (K1 + 1) / (tf + n))
    return out


def query_vector(text: str, channel: str) -> models.SparseVector:
    toks = tokens(text, channel, segment_words=False)
    if channel == "lex":
        # Instead of running pyvi on the question (slow import, unreliable on short text), send
        # every 2- and 3-syllable n-gram joined like pyvi joins words: the ones that are real
        # words hit the documents' word terms, the others match nothing and cost nothing.
        toks = toks + ["_".join(toks[i:i + n]) for n in (2, 3) for i in range(len(toks) - n + 1)]
    return _sparse(Counter(toks), lambda tf: 1.0)
