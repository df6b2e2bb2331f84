"""Hybrid retrieval: dense + BM25 (accented and folded) fused inside Qdrant, then diversified.

Questions typed without diacritics are detected; the folded lexical channel finds candidates,
the question's diacritics are restored from the words of those candidates, and the restored
question then drives the dense and accented channels as usual.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from qdrant_client import models

from rag import lexical, vntext
from rag.embedders import Embedder
from rag.fusion import FusionSpec
from rag.gazetteer import find_provinces
from rag.models import Hit
from rag.rerank import get_reranker
from rag.settings import Settings
from rag.store import Filters, Store

NODE_METADATA = ("doc_id", "title", "published", "province", "url", "source_name")
YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


@dataclass
class Retrieval:
    query: str  # what was searched (diacritics restored when needed)
    hits: list[Hit]
    unaccented: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None  # the dense query embedding, for callers that compare meanings


def restore_diacritics(query: str, texts: list[str]) -> str:
    """Put diacritics back on an unaccented query using the words of candidate passages.

    Each query syllable takes the accented form seen most often with the same folded neighbours
    (bigram evidence first, then unigram); syllables never seen keep their typed form.
    """
    uni: dict[str, Counter] = defaultdict(Counter)
    bi: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for t in texts:
        syl = vntext.syllables(t)
        folded = [vntext.fold(s) for s in syl]
        for i, (f, s) in enumerate(zip(folded, syl)):
            uni[f][s] += 1
            if i + 1 < len(syl):
                bi[(f, folded[i + 1])][(s, syl[i + 1])] += 1
    q = vntext.syllables(query)
    qf = [vntext.fold(s) for s in q]
    out = []
    for i, f in enumerate(qf):
        votes: Counter = Counter()
        if i > 0:
            for (a, b), c in bi.get((qf[i - 1], f), {}).items():
                votes[b] += 2 * c
        if i + 1 < len(qf):
            for (a, b), c in bi.get((f, qf[i + 1]), {}).items():
                votes[a] += 2 * c
        if not votes:
            votes = uni.get(f, Counter())
        out.append(votes.most_common(1)[0][0] if votes else q[i])
    return " ".join(out)


def diversify(hits: list[Hit], k: int, *, per_doc: int, dup_threshold: float) -> list[Hit]:
    """Top-k with near-duplicate chunks merged and at most `per_doc` chunks per article in the
    first pass, so a list question sees every article that answers it."""
    kept: list[Hit] = []
    shingles: list[set] = []
    for h in hits:
        sh = set(vntext.syllables(h.text))
        if any(len(sh & o) / max(1, min(len(sh), len(o))) >= dup_threshold for o in shingles):
            continue
        kept.append(h)
        shingles.append(sh)
    first, rest, per = [], [], Counter()
    for h in kept:
        (first if per[h.doc_id] < per_doc else rest).append(h)
        per[h.doc_id] += 1
    return (first + rest)[:k]


def restore_query(store: Store, q: str, fusion: FusionSpec, filters: Filters | None = None,
                  boost: list[models.Condition] | None = None) -> str:
    """An unaccented question with its diacritics restored: folded BM25 alone finds passages,
    their words give the accents back. Returns `q` unchanged when nothing could be restored."""
    first = store.search(None, {"fold": lexical.query_vector(q, "fold")}, fusion=fusion.replace(weights={"fold": 1.0}),
                         filters=filters, boost=boost)
    restored = restore_diacritics(q, [h.text + " " + (h.title or "") for h in first])
    return restored if vntext.has_diacritics(restored) else q


class HybridRetriever(BaseRetriever):
    """A LlamaIndex retriever that calls Qdrant directly, so fusion (weighted RRF/DBSF over
    dense + sparse prefetches, with Qdrant's IDF modifier) happens inside Qdrant.

    `search` is the full interface (filters, per-article diversification, timings); LlamaIndex's
    `retrieve` gives the same top chunks as NodeWithScore, for use in LlamaIndex pipelines:

        retriever = HybridRetriever(store, embedder, settings)
        r = retriever.search("Ai là Bí thư Tỉnh ủy Đắk Lắk?", filters=Filters(province="Đắk Lắk"))
        nodes = retriever.retrieve("Ai là Bí thư Tỉnh ủy Đắk Lắk?")  # same chunks, LlamaIndex nodes
    """

    def __init__(self, store: Store, embedder: Embedder, settings: Settings):
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.reranker = get_reranker(settings)  # loaded now: a bad model id fails at start, not mid-chat

    def search(self, question: str, filters: Filters | None = None, top_k: int | None = None,
               candidates: int | None = None, per_doc: int = 2) -> Retrieval:
        """`candidates`: fused chunks to take (default settings.candidates); `per_doc`: chunks one
        article may take before every other article has had its turn (1 for list questions, which
        need as many articles as the top-k can hold)."""
        t0 = time.perf_counter()
        q = vntext.display(question).strip()
        timings: dict[str, float] = {}
        unaccented = vntext.is_unaccented(q)
        fusion = FusionSpec.from_settings(self.settings, unaccented)
        if candidates:
            fusion = fusion.replace(candidates=candidates)
        boost = self._boosts(q)
        if unaccented:
            q = restore_query(self.store, q, fusion, filters=filters, boost=boost)
            timings["restore"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        dense = self.embedder.embed_query(q)
        timings["embed"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        sparse = {"lex": lexical.query_vector(q, "lex"), "fold": lexical.query_vector(q, "fold")}
        hits = self.store.search(dense, sparse, fusion=fusion, filters=filters, boost=boost)
        timings["search"] = (time.perf_counter() - t2) * 1000
        if self.reranker is not None and hits:
            t3 = time.perf_counter()
            n = max(1, self.settings.rerank_candidates)
            hits = self.reranker.rerank(q, hits[:n]) + hits[n:]
            timings["rerank"] = (time.perf_counter() - t3) * 1000
        hits = diversify(hits, top_k or self.settings.top_k, per_doc=per_doc, dup_threshold=fusion.dedup_overlap)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Retrieval(query=q, hits=hits, unaccented=unaccented, timings_ms=timings, query_vector=dense)

    def _boosts(self, q: str) -> list[models.Condition]:
        conds: list[models.Condition] = []
        for p in find_provinces(q):
            conds.append(models.FieldCondition(key="province", match=models.MatchValue(value=p)))
        for y in sorted(set(YEAR.findall(q))):
            conds.append(models.FieldCondition(key="published", range=models.DatetimeRange(
                gte=f"{y}-01-01T00:00:00", lte=f"{y}-12-31T23:59:59")))
        return conds

    # LlamaIndex interface -------------------------------------------------------------
    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """What `retrieve(...)` returns: the top_k chunks of `search`, as LlamaIndex nodes whose
        metadata carries the article fields a citation needs."""
        r = self.search(query_bundle.query_str)
        return [NodeWithScore(node=TextNode(id_=h.chunk_id, text=h.text, metadata={
            k: v for k, v in h.payload.items() if k in NODE_METADATA}), score=h.score) for h in r.hits]
