"""Retrieval-only baselines over the same stored corpus as the system under test.

Each baseline ranks DOCUMENTS (best first, duplicates removed) for a question:

- ``bm25``: BM25 (bm25s, Lucene variant) over syllables (``rag.vntext.syllables``: lower-cased,
  one tone convention) of each stored article's "title\\ntext", one document per article;
- ``dense``: the collection's own "dense" vectors only (same embedder, same chunks), chunk hits
  deduplicated to articles;
- ``llamaindex``: LlamaIndex's default pipeline: an in-memory ``VectorStoreIndex`` over the
  same "title\\ntext" with the default ``SentenceSplitter`` and the same embedder behind a small
  ``BaseEmbedding`` adapter (the e5 ``query: ``/``passage: `` prefixes are applied by our
  embedder's embed_query/embed_passages). No LLM is involved (only the retriever is used, and
  LlamaIndex's global ``Settings`` are not touched). Its passage vectors are cached under
  ``<data_dir>/eval_cache/`` so a second run on an unchanged corpus does not re-embed.

Baselines produce no answers: their answer, citation, refusal and language metrics are N/A.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rag import vntext
from rag.embedders import Embedder
from rag.fusion import FusionSpec
from rag.store import Store

NAMES = ("bm25", "dense", "llamaindex")
CHUNK_DEPTH = 60  # chunk hits fetched per question before deduplicating to documents


def article_text(doc: dict[str, Any]) -> str:
    title = (doc.get("title") or "").strip()
    text = doc.get("text") or ""
    return f"{title}\n{text}" if title else text


def _dedup_docs(doc_ids: list[str], k: int) -> list[str]:
    return list(dict.fromkeys(doc_ids))[:k]


class BM25Baseline:
    name = "bm25"

    def __init__(self, docs: list[dict[str, Any]]):
        import bm25s

        self.ids = [d["doc_id"] for d in docs]
        self.model = bm25s.BM25()  # k1=1.5, b=0.75, Lucene IDF
        corpus = [vntext.syllables(article_text(d)) or [""] for d in docs]
        self.model.index(corpus, show_progress=False)

    def rank(self, question: str, k: int) -> list[str]:
        if not self.ids:
            return []
        toks = vntext.syllables(question)
        if not toks:
            return []
        idx, scores = self.model.retrieve([toks], k=min(k, len(self.ids)), show_progress=False)
        # zero score = no query syllable in the article: not a ranking, an arbitrary order
        return [self.ids[int(i)] for i, s in zip(idx[0], scores[0]) if s > 0]


class DenseBaseline:
    name = "dense"

    def __init__(self, store: Store, embedder: Embedder):
        self.store = store
        self.embedder = embedder

    def rank(self, question: str, k: int) -> list[str]:
        q = vntext.display(question).strip()
        dense_only = FusionSpec.from_settings(self.store.settings).replace(weights={"dense": 1.0})
        hits = self.store.search(self.embedder.embed_query(q), {}, fusion=dense_only, limit=max(CHUNK_DEPTH, 3 * k))
        return _dedup_docs([h.doc_id for h in hits], k)


# ---------------------------------------------------------------- LlamaIndex

class _VectorCache:
    """Passage vectors by sha1(embedder id + text), persisted as one .npz file."""

    def __init__(self, path: Path | None, embedder_id: str):
        self.path = path
        self.prefix = embedder_id + "\0"
        self.vecs: dict[str, np.ndarray] = {}
        self.dirty = False
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    self.vecs = dict(zip(z["keys"].tolist(), z["vecs"]))
            except Exception:  # a corrupt cache is only a cache
                self.vecs = {}

    def key(self, text: str) -> str:
        return hashlib.sha1((self.prefix + text).encode("utf-8")).hexdigest()

    def save(self, keep: set[str] | None = None) -> None:
        if self.path is None or not (self.dirty or (keep is not None and set(self.vecs) - keep)):
            return
        items = [(k, v) for k, v in self.vecs.items() if keep is None or k in keep]
        if not items:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array([k for k, _ in items]), vecs=np.stack([v for _, v in items]))
        tmp.replace(self.path)
        self.dirty = False


def _adapter_class():
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class HoidapEmbedding(BaseEmbedding):
        """LlamaIndex embedding around a hoidap Embedder (which applies the e5 prefixes)."""

        _embedder: Any = PrivateAttr()
        _cache: Any = PrivateAttr()
        _used: set = PrivateAttr(default_factory=set)

        def __init__(self, embedder: Embedder, cache: _VectorCache, **kw: Any):
            super().__init__(model_name=embedder.id, embed_batch_size=32, **kw)
            self._embedder = embedder
            self._cache = cache
            self._used = set()

        def _get_query_embedding(self, query: str) -> list[float]:
            return np.asarray(self._embedder.embed_query(query), dtype=np.float32).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            keys = [self._cache.key(t) for t in texts]
            self._used.update(keys)
            todo = [i for i, k in enumerate(keys) if k not in self._cache.vecs]
            if todo:
                vecs = self._embedder.embed_passages([texts[i] for i in todo])
                for i, v in zip(todo, vecs):
                    self._cache.vecs[keys[i]] = np.asarray(v, dtype=np.float32)
                self._cache.dirty = True
            return [self._cache.vecs[k].tolist() for k in keys]

    return HoidapEmbedding


class LlamaIndexBaseline:
    name = "llamaindex"

    def __init__(self, docs: list[dict[str, Any]], embedder: Embedder, cache_path: Path | None = None,
                 progress: bool = False):
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        cache = _VectorCache(cache_path, embedder.id)
        self.embed_model = _adapter_class()(embedder, cache)
        documents = [Document(id_=d["doc_id"], text=article_text(d)) for d in docs]
        self.index = VectorStoreIndex.from_documents(
            documents, embed_model=self.embed_model, transformations=[SentenceSplitter()],
            show_progress=progress)
        cache.save(keep=self.embed_model._used)  # drop vectors of texts no longer in the corpus
        self.n_nodes = len(self.index.docstore.docs)

    def rank(self, question: str, k: int) -> list[str]:
        retriever = self.index.as_retriever(similarity_top_k=max(k * 3, 30))
        nodes = retriever.retrieve(vntext.display(question).strip())
        return _dedup_docs([n.node.ref_doc_id for n in nodes if n.node.ref_doc_id], k)


def build_baselines(store: Store, embedder: Embedder, names: tuple[str, ...] = NAMES,
                    cache_dir: Path | None = None, progress: bool = False,
                    log=lambda msg: print(msg, file=sys.stderr)) -> dict[str, Any]:
    """name → object with ``rank(question, k) -> [doc_id, ...]``, all over `store`'s articles."""
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    docs = [d for d in store.list_documents(with_text=True) if d.get("complete", True)]
    out: dict[str, Any] = {}
    for name in names:
        if name == "bm25":
            out[name] = BM25Baseline(docs)
        elif name == "dense":
            out[name] = DenseBaseline(store, embedder)
        elif name == "llamaindex":
            path = cache_dir / f"{store.name}.llamaindex.npz" if cache_dir else None
            log(f"baseline llamaindex: indexing {len(docs)} articles in memory"
                + (f" (vector cache {path})" if path else ""))
            out[name] = LlamaIndexBaseline(docs, embedder, cache_path=path, progress=progress)
    return out
