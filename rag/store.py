"""The Qdrant store: one code path for a server/cluster (URL), qdrant-client local mode and
Qdrant Edge (both in-process, on disk; `HOIDAP_STORE_BACKEND=auto|edge|local`, Edge by
default). Edge is reached through `rag.edge.EdgeClient`, which presents the qdrant-client
methods used here.

Two collections per corpus:
- `<name>`: one point per chunk: dense vector "dense", sparse BM25 vectors "lex" and "fold",
  payload with the chunk text and its article's metadata (for filters and citations);
- `<name>__docs`: one vectorless point per article (metadata, cleaned text, chunk count,
  content hash), plus one state point listing articles whose write is in flight.

A document is visible only when fully stored: before its chunks are written it is added to the
in-flight list, searches exclude in-flight documents, and it leaves the list once its chunks and
record are written. A crash leaves it in the list (invisible) until the next ingest redoes it.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
from qdrant_client import QdrantClient, models

from rag.fusion import FusionSpec
from rag.models import Article, Chunk, Hit
from rag.settings import Settings

SCHEMA = 1
NS = uuid.UUID("6f1c3c1e-6b9a-4c55-9b7e-1f0d3a2b8c4d")
STATE_ID = str(uuid.uuid5(NS, "__state__"))
CHUNK_PAYLOAD_INDEXES = {
    "doc_id": models.PayloadSchemaType.KEYWORD,
    "province": models.PayloadSchemaType.KEYWORD,
    "provinces": models.PayloadSchemaType.KEYWORD,
    "source_name": models.PayloadSchemaType.KEYWORD,
    "published": models.PayloadSchemaType.DATETIME,
    "version": models.PayloadSchemaType.KEYWORD,
}


class StoreError(RuntimeError):
    """A store problem the user can act on; the message says what to do."""


def doc_point_id(doc_id: str) -> str:
    return str(uuid.uuid5(NS, "doc:" + doc_id))


def chunk_point_id(doc_id: str, version: str, index: int) -> str:
    # deterministic: re-writing the same version after a crash overwrites, never duplicates
    return str(uuid.uuid5(NS, f"chunk:{doc_id}:{version}:{index}"))


def is_iso_date(value: str) -> bool:
    """A filter bound must be a real calendar date (YYYY-MM-DD)."""
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


@dataclass
class Filters:
    province: str | None = None
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive (whole day)
    source_name: str | None = None
    doc_ids: list[str] | None = None

    def conditions(self) -> list[models.Condition]:
        must: list[models.Condition] = []
        if self.province:
            must.append(models.FieldCondition(key="province", match=models.MatchValue(value=self.province)))
        if self.source_name:
            must.append(models.FieldCondition(key="source_name", match=models.MatchValue(value=self.source_name)))
        if self.since or self.until:
            until = self.until + "T23:59:59" if self.until and len(self.until) == 10 else self.until
            must.append(models.FieldCondition(key="published", range=models.DatetimeRange(gte=self.since, lte=until)))
        if self.doc_ids:
            must.append(models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(self.doc_ids))))
        return must


class Store:
    def __init__(self, settings: Settings, collection: str | None = None):
        self.settings = settings
        self.name = collection or settings.collection
        self.docs_name = self.name + "__docs"
        self._lock = threading.RLock()
        self.kind = settings.store_kind  # "server" | "local" | "edge"
        self.client = _connect(settings)
        self.local = self.kind != "server"  # in-process (local mode or Edge)
        if self.kind == "edge":
            self._open_edge()

    # ------------------------------------------------------------------ lifecycle
    def _open_edge(self) -> None:
        """Open the shards now: a store held by another process fails here, not mid-request."""
        from rag.edge import EdgeLockedError

        try:
            for name in (self.name, self.docs_name):
                if self.client.collection_exists(name):
                    self.client.count(name)
        except EdgeLockedError as e:
            self.close()
            raise _store_in_use(self.settings.store_path, "one process per Edge store") from e

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def exists(self) -> bool:
        return self.client.collection_exists(self.name)

    def info(self) -> dict[str, Any]:
        """Collection metadata written at creation (embedder, dim, schema)."""
        if not self.exists():
            return {}
        return dict(self.client.get_collection(self.name).config.metadata or {})

    def ensure(self, embedder_id: str, dim: int) -> None:
        """Create the collections on first use; refuse an embedder other than the one that built them."""
        with self._lock:
            if self.exists():
                self.check_embedder(embedder_id, dim)
            else:
                extra = collection_layout(self.settings)
                self.client.create_collection(
                    self.name,
                    vectors_config={"dense": models.VectorParams(size=dim, distance=models.Distance.COSINE)},
                    sparse_vectors_config={ch: models.SparseVectorParams(modifier=models.Modifier.IDF)
                                           for ch in ("lex", "fold")},
                    metadata={"embedder": embedder_id, "dim": dim, "schema": SCHEMA,
                              "created": time.strftime("%Y-%m-%dT%H:%M:%S")},
                    **extra,
                )
                if self.kind != "local":  # local mode ignores them (and warns); servers and Edge need them
                    for key, schema in CHUNK_PAYLOAD_INDEXES.items():
                        self.client.create_payload_index(self.name, key, field_schema=schema)
            if not self.client.collection_exists(self.docs_name):
                # replicated like the chunks: losing a node must not lose the document records
                self.client.create_collection(self.docs_name, vectors_config={}, **collection_layout(self.settings))

    def optimize(self) -> dict[str, Any]:
        """Build the vector index now (Edge indexes only when asked; servers and local mode need
        nothing). Called at the end of an ingest; returns what was done, for reports."""
        if self.kind != "edge" or not self.exists():
            return {}
        with self._lock:
            t = time.perf_counter()
            changed = self.client.optimize(self.name)
            self.client.optimize(self.docs_name)
            return dict(self.client.info(self.name), changed=changed, seconds=round(time.perf_counter() - t, 3))

    def check_embedder(self, embedder_id: str, dim: int) -> None:
        meta = self.info()
        if meta and (meta.get("embedder") != embedder_id or int(meta.get("dim", dim)) != dim):
            raise StoreError(
                f"collection {self.name!r} was built with embedder {meta.get('embedder')} (dim {meta.get('dim')}), "
                f"but the settings select {embedder_id} (dim {dim}). Use the same embedder "
                f"(HOIDAP_EMBEDDER / HOIDAP_EMBED_MODEL), another collection (HOIDAP_COLLECTION), "
                f"or re-ingest into a new one.")

    # ------------------------------------------------------------------ in-flight state
    def pending(self) -> set[str]:
        if not self.client.collection_exists(self.docs_name):
            return set()
        pts = self.client.retrieve(self.docs_name, [STATE_ID], with_payload=True)
        return set(pts[0].payload.get("pending", [])) if pts else set()

    def _set_pending(self, ids: Iterable[str]) -> None:
        self.client.upsert(self.docs_name, [models.PointStruct(
            id=STATE_ID, vector={}, payload={"kind": "state", "pending": sorted(set(ids))})])

    # ------------------------------------------------------------------ writes
    def write_documents(self, docs: list[tuple[Article, list[Chunk], np.ndarray, list[dict]]]) -> None:
        """Store whole documents: each (article, chunks, dense vectors, sparse vectors per chunk)."""
        if not docs:
            return
        with self._lock:
            ids = [a.doc_id for a, *_ in docs]
            self._set_pending(self.pending() | set(ids))
            points = []
            for article, chunks, dense, sparse in docs:
                base = _chunk_base_payload(article)
                for ch, vec, sp in zip(chunks, dense, sparse):
                    payload = dict(base, chunk_id=ch.chunk_id, index=ch.index, text=ch.text,
                                   start=ch.start, end=ch.end, n_tokens=ch.n_tokens)
                    vectors: dict[str, Any] = {"dense": np.asarray(vec, dtype=np.float32).tolist()}
                    vectors.update(sp)
                    points.append(models.PointStruct(id=chunk_point_id(article.doc_id, article.content_hash, ch.index),
                                                     vector=vectors, payload=payload))
            for i in range(0, len(points), 256):
                self.client.upsert(self.name, points[i:i + 256], wait=True)
            records = []
            for article, chunks, _, _ in docs:
                rec = article.meta()
                rec.update(kind="doc", text=article.text, n_chunks=len(chunks),
                           ingested_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
                records.append(models.PointStruct(id=doc_point_id(article.doc_id), vector={}, payload=rec))
            self.client.upsert(self.docs_name, records, wait=True)
            # drop the chunks of older versions only now that the new ones are complete
            for article, *_ in docs:
                self.client.delete(self.name, models.Filter(
                    must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=article.doc_id))],
                    must_not=[models.FieldCondition(key="version", match=models.MatchValue(value=article.content_hash))]))
            self._set_pending(self.pending() - set(ids))

    def repair(self) -> list[str]:
        """Finish writes a crash interrupted after all their parts landed; return what stays in flight."""
        with self._lock:
            still = set()
            for doc_id in self.pending():
                rec = self.get_document(doc_id)
                if rec and self._count(doc_id, rec.get("content_hash")) == rec.get("n_chunks"):
                    self.client.delete(self.name, models.Filter(
                        must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))],
                        must_not=[models.FieldCondition(key="version",
                                                        match=models.MatchValue(value=rec["content_hash"]))]))
                else:
                    still.add(doc_id)
            self._set_pending(still)
            return sorted(still)

    def _count(self, doc_id: str, version: str | None) -> int:
        must = [models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))]
        if version:
            must.append(models.FieldCondition(key="version", match=models.MatchValue(value=version)))
        return self.client.count(self.name, count_filter=models.Filter(must=must), exact=True).count

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        ids = [d for d in doc_ids]
        if not ids or not self.exists():
            return 0
        with self._lock:
            self._set_pending(self.pending() | set(ids))
            self.client.delete(self.name, models.Filter(
                must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=ids))]), wait=True)
            self.client.delete(self.docs_name, models.PointIdsList(points=[doc_point_id(d) for d in ids]), wait=True)
            self._set_pending(self.pending() - set(ids))
        return len(ids)

    # ------------------------------------------------------------------ reads
    def get_document(self, doc_id: str) -> dict | None:
        if not self.client.collection_exists(self.docs_name):
            return None
        pts = self.client.retrieve(self.docs_name, [doc_point_id(doc_id)], with_payload=True)
        return dict(pts[0].payload) if pts else None

    def list_documents(self, with_text: bool = False) -> list[dict]:
        if not self.client.collection_exists(self.docs_name):
            return []
        exclude = None if with_text else models.PayloadSelectorExclude(exclude=["text"])
        out, offset = [], None
        while True:
            pts, offset = self.client.scroll(self.docs_name, limit=512, offset=offset,
                                             with_payload=exclude if exclude else True)
            out.extend(dict(p.payload) for p in pts if p.payload.get("kind") == "doc")
            if offset is None:
                break
        pending = self.pending()
        for d in out:
            d["complete"] = d["doc_id"] not in pending
        return sorted(out, key=lambda d: d["doc_id"])

    def count_chunks(self) -> int:
        return self.client.count(self.name, exact=True).count if self.exists() else 0

    def facet_values(self, key: str) -> list[str]:
        """Distinct values of a document field (provinces, sources) for UI filters."""
        vals = {d.get(key) for d in self.list_documents()}
        return sorted(v for v in vals if v)

    def search(self, dense: np.ndarray | None, sparse: dict[str, models.SparseVector], *,
               fusion: FusionSpec, limit: int | None = None, filters: Filters | None = None,
               boost: list[models.Condition] | None = None) -> list[Hit]:
        """Hybrid search fused inside Qdrant as `fusion` says (rag/fusion.py): a prefetch per
        channel, then weighted RRF or DBSF, then the soft `boost`. `limit`: fusion.candidates."""
        if not self.exists():
            return []
        must = filters.conditions() if filters else []
        pending = self.pending()
        must_not = [models.FieldCondition(key="doc_id", match=models.MatchAny(any=sorted(pending)))] if pending else []
        flt = models.Filter(must=must or None, must_not=must_not or None) if (must or must_not) else None
        query = fusion.query(dense, sparse, flt, boost)
        if query is None:
            return []
        res = self.client.query_points(self.name, **query, limit=limit or fusion.candidates, with_payload=True)
        return [Hit(chunk_id=p.payload["chunk_id"], doc_id=p.payload["doc_id"], score=float(p.score),
                    text=p.payload.get("text", ""), payload=dict(p.payload)) for p in res.points]


def _chunk_base_payload(a: Article) -> dict:
    return {"doc_id": a.doc_id, "version": a.content_hash, "title": a.title, "published": a.published,
            "province": a.province, "provinces": a.provinces, "source_name": a.source_name,
            "url": a.url, "author": a.author, "source": a.source, "category": a.category,
            "doc_number": a.doc_number, "ocr": a.ocr}


def collection_layout(settings: Settings) -> dict[str, int]:
    """How a new collection is spread over a server/cluster (deploy/README.md); nothing in-process."""
    if settings.store_kind != "server":
        return {}
    return dict(shard_number=settings.shard_number, replication_factor=settings.replication_factor,
                write_consistency_factor=settings.write_consistency_factor)


def _store_in_use(path, why: str) -> StoreError:
    return StoreError(f"the store {path} is in use by another hoidap process ({why}). Stop it (e.g. the "
                      f"running web app) or ingest through it, or use a Qdrant server (HOIDAP_QDRANT_URL).")


def _connect(settings: Settings) -> Any:
    if settings.store_kind == "edge":
        from rag.edge import EdgeClient, HnswParams

        return EdgeClient(settings.store_path, HnswParams(m=settings.edge_hnsw_m,
                                                          ef_construct=settings.edge_hnsw_ef_construct,
                                                          ef=settings.edge_hnsw_ef))
    if settings.qdrant_url:
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=max(1, round(settings.qdrant_timeout_s)))
        try:
            client.get_collections()
        except Exception as e:
            reason = str(e) or type(e).__name__
            if isinstance(e, ValueError) or "Expecting value" in reason or "validation error" in reason:
                reason = f"something answers there, but not like Qdrant ({reason[:80]}); is the URL/port right?"
            raise StoreError(f"cannot reach Qdrant at {settings.qdrant_url}: {reason}. "
                             f"Check HOIDAP_QDRANT_URL / HOIDAP_QDRANT_API_KEY, or unset the URL for the in-process store.") from e
        return client
    path = settings.store_path
    path.mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=str(path))
    except RuntimeError as e:
        if "already accessed" in str(e):
            raise _store_in_use(path, "Qdrant local mode allows one") from e
        raise
