"""Qdrant Edge (the in-process Qdrant engine, `qdrant-edge-py`) behind the part of the
qdrant-client API that `rag.store.Store` uses, so the Store logic (in-flight markers, version
replacement, hybrid fusion, filters, boosts) is one code path for all backends.

Each collection is one Edge shard in `<data_dir>/edge/<collection>/shard`, next to a
`collection.json` (the metadata qdrant-client keeps in the collection config). Requests and
results are translated between `qdrant_client.models` and `qdrant_edge` types; the search
itself (HNSW / sparse index, prefetch, weighted RRF with the same k, DBSF, score formulas,
payload filters) runs inside the Edge engine, exactly as on a Qdrant server.

Unlike local mode, Edge does not index in the background: `optimize()` builds the HNSW graph
and merges segments, and the Store calls it at the end of an ingest. Until then new points are
searched exhaustively (still correct, just slower on large unoptimized segments).
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import qdrant_edge as qe
from qdrant_client import models

META_FILE = "collection.json"

_SCHEMA = {
    models.PayloadSchemaType.KEYWORD: qe.PayloadSchemaType.Keyword,
    models.PayloadSchemaType.INTEGER: qe.PayloadSchemaType.Integer,
    models.PayloadSchemaType.FLOAT: qe.PayloadSchemaType.Float,
    models.PayloadSchemaType.BOOL: qe.PayloadSchemaType.Bool,
    models.PayloadSchemaType.DATETIME: qe.PayloadSchemaType.Datetime,
    models.PayloadSchemaType.TEXT: qe.PayloadSchemaType.Text,
    models.PayloadSchemaType.UUID: qe.PayloadSchemaType.Uuid,
}


class EdgeLockedError(RuntimeError):
    """Another process (or another open client) holds the shard directory."""


@dataclass
class HnswParams:
    m: int = 16
    ef_construct: int = 128
    ef: int = 128  # search-time beam width
    full_scan_threshold_kb: int = 10_000  # below this a segment is searched exhaustively
    indexing_threshold_kb: int | None = None  # segments above this get HNSW; None = Edge default (10 MB)


# ------------------------------------------------------------------------------- conversion
def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _match(m: Any) -> Any:
    if isinstance(m, models.MatchValue):
        return qe.MatchValue(m.value)
    if isinstance(m, models.MatchAny):
        return qe.MatchAny(list(m.any))
    if isinstance(m, models.MatchExcept):
        return qe.MatchExcept(list(getattr(m, "except_", None) or getattr(m, "except")))
    if isinstance(m, models.MatchText):
        return qe.MatchText(m.text)
    raise TypeError(f"Qdrant Edge adapter: unsupported match {type(m).__name__}")


def _range(r: Any) -> Any:
    if isinstance(r, models.DatetimeRange):
        return qe.RangeDateTime(gte=_iso(r.gte), gt=_iso(r.gt), lte=_iso(r.lte), lt=_iso(r.lt))
    if isinstance(r, models.Range):
        return qe.RangeFloat(gte=r.gte, gt=r.gt, lte=r.lte, lt=r.lt)
    raise TypeError(f"Qdrant Edge adapter: unsupported range {type(r).__name__}")


def condition(c: Any) -> Any:
    """A qdrant-client condition (or filter) as the Edge equivalent."""
    if isinstance(c, models.Filter):
        return to_filter(c)
    if isinstance(c, models.FieldCondition):
        return qe.FieldCondition(c.key, match=_match(c.match) if c.match is not None else None,
                                 range=_range(c.range) if c.range is not None else None)
    if isinstance(c, models.HasIdCondition):
        return qe.HasIdCondition(set(str(i) for i in c.has_id))
    if isinstance(c, models.IsEmptyCondition):
        return qe.IsEmptyCondition(c.is_empty.key)
    if isinstance(c, models.IsNullCondition):
        return qe.IsNullCondition(c.is_null.key)
    raise TypeError(f"Qdrant Edge adapter: unsupported condition {type(c).__name__}")


def _conds(cs: Any) -> list | None:
    if cs is None:
        return None
    cs = cs if isinstance(cs, list) else [cs]
    return [condition(c) for c in cs] or None


def to_filter(f: models.Filter | None) -> qe.Filter | None:
    if f is None:
        return None
    return qe.Filter(must=_conds(f.must), should=_conds(f.should), must_not=_conds(f.must_not))


def _vector(v: Any) -> Any:
    if isinstance(v, models.SparseVector):
        return qe.SparseVector(list(v.indices), [float(x) for x in v.values])
    if hasattr(v, "tolist"):
        return v.tolist()
    return list(v)


def _expression(e: Any) -> Any:
    if isinstance(e, str):
        return qe.Expression.Variable(e)
    if isinstance(e, (int, float)):
        return qe.Expression.Constant(float(e))
    if isinstance(e, models.SumExpression):
        return qe.Expression.Sum([_expression(x) for x in e.sum])
    if isinstance(e, models.MultExpression):
        return qe.Expression.Mult([_expression(x) for x in e.mult])
    if isinstance(e, (models.FieldCondition, models.Filter, models.HasIdCondition)):
        return qe.Expression.Condition(condition(e))
    raise TypeError(f"Qdrant Edge adapter: unsupported formula term {type(e).__name__}")


def _query(q: Any, using: str | None) -> Any:
    """A query-stage (`query=` of query_points/Prefetch) as the Edge equivalent."""
    if q is None:
        return None
    if isinstance(q, models.RrfQuery):
        return qe.Fusion.Rrf(k=q.rrf.k if q.rrf.k is not None else 2,
                             weights=list(q.rrf.weights) if q.rrf.weights else None)
    if isinstance(q, models.FusionQuery):
        # the server's plain RRF uses k=2 (qdrant-client local mode too)
        return qe.Fusion.Dbsf() if q.fusion == models.Fusion.DBSF else qe.Fusion.Rrf(k=2)
    if isinstance(q, models.FormulaQuery):
        return qe.Formula(_expression(q.formula), defaults=dict(q.defaults or {}) or None)
    if isinstance(q, models.NearestQuery):
        return qe.Query.Nearest(_vector(q.nearest), using=using)
    if isinstance(q, (list, models.SparseVector)) or hasattr(q, "tolist"):
        return qe.Query.Nearest(_vector(q), using=using)
    raise TypeError(f"Qdrant Edge adapter: unsupported query {type(q).__name__}")


def _from_vector(v: Any) -> Any:
    """An Edge record's vectors in qdrant-client form (named dict, sparse as models.SparseVector)."""
    if isinstance(v, dict):
        return {k: _from_vector(x) for k, x in v.items()}
    if isinstance(v, qe.SparseVector):
        return models.SparseVector(indices=list(v.indices), values=list(v.values))
    return v


def _record(r: Any) -> models.Record:
    return models.Record(id=_pid(r.id), payload=r.payload or {}, vector=_from_vector(r.vector) if r.vector else None)


def _payload_selector(with_payload: Any) -> Any:
    if isinstance(with_payload, models.PayloadSelectorExclude):
        return qe.PayloadSelector.Exclude(list(with_payload.exclude))
    if isinstance(with_payload, models.PayloadSelectorInclude):
        return qe.PayloadSelector.Include(list(with_payload.include))
    return with_payload


def _pid(pid: Any) -> Any:
    return str(pid) if not isinstance(pid, int) else pid


def _is_vector_query(q: Any) -> bool:
    return isinstance(q, (list, models.SparseVector, models.NearestQuery)) or hasattr(q, "tolist")


# ---------------------------------------------------------------------------------- results
@dataclass
class _Config:
    metadata: dict


@dataclass
class CollectionInfo:
    config: _Config
    points_count: int
    segments_count: int
    indexed_vectors_count: int


@dataclass
class QueryResponse:
    points: list[models.ScoredPoint] = field(default_factory=list)


# ----------------------------------------------------------------------------------- client
class EdgeClient:
    """Collections as Edge shards under one folder, with qdrant-client's method names."""

    def __init__(self, path: Path, hnsw: HnswParams | None = None):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.hnsw = hnsw or HnswParams()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._lock = threading.RLock()

    # -------------------------------------------------------------- collections
    def _dir(self, name: str) -> Path:
        return self.path / name

    def collection_exists(self, name: str) -> bool:
        return (self._dir(name) / META_FILE).exists()

    def _meta(self, name: str) -> dict:
        return json.loads((self._dir(name) / META_FILE).read_text(encoding="utf-8"))

    def _shard(self, name: str) -> qe.EdgeShard:
        sh = self._shards.get(name)
        if sh is None:
            with self._lock:
                sh = self._shards.get(name)
                if sh is None:
                    if not self.collection_exists(name):
                        raise ValueError(f"Collection {name} not found")
                    try:
                        sh = qe.EdgeShard.load(str(self._dir(name) / "shard"))
                    except Exception as e:
                        if any(w in str(e).lower() for w in ("wouldblock", "lock", "in use")):
                            raise EdgeLockedError(str(e)) from e
                        raise
                    self._shards[name] = sh
        return sh

    def create_collection(self, collection_name: str, vectors_config: dict | None = None,
                          sparse_vectors_config: dict | None = None, metadata: dict | None = None,
                          **_server_only: Any) -> bool:
        """`shard_number` / `replication_factor` / … mean nothing in one process and are ignored."""
        vectors = {}
        for vname, p in (vectors_config or {}).items():
            dist = {models.Distance.COSINE: qe.Distance.Cosine, models.Distance.DOT: qe.Distance.Dot,
                    models.Distance.EUCLID: qe.Distance.Euclid}[p.distance]
            vectors[vname] = qe.EdgeVectorParams(size=p.size, distance=dist)
        sparse = {}
        for vname, p in (sparse_vectors_config or {}).items():
            idf = p.modifier == models.Modifier.IDF
            sparse[vname] = qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf if idf else None)
        if not vectors and not sparse:
            # Edge needs at least one vector; vectorless points (document records) leave it empty
            sparse["_none"] = qe.EdgeSparseVectorParams()
        h = self.hnsw
        cfg = qe.EdgeConfig(vectors=vectors or None, sparse_vectors=sparse or None,
                            hnsw_config=qe.HnswIndexConfig(m=h.m, ef_construct=h.ef_construct,
                                                           full_scan_threshold=h.full_scan_threshold_kb),
                            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=h.indexing_threshold_kb)
                            if h.indexing_threshold_kb is not None else None)
        d = self._dir(collection_name)
        with self._lock:
            if d.exists() and not (d / META_FILE).exists():
                shutil.rmtree(d)  # a creation that crashed half-way
            d.mkdir(parents=True)
            sh = qe.EdgeShard.create(str(d / "shard"), cfg)
            self._shards[collection_name] = sh
            meta = {"metadata": dict(metadata or {}), "payload_indexes": {}}
            tmp = d / (META_FILE + ".tmp")
            tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            tmp.replace(d / META_FILE)  # the collection exists from this point on
        return True

    def get_collection(self, collection_name: str) -> CollectionInfo:
        sh = self._shard(collection_name)
        i = sh.info()
        return CollectionInfo(config=_Config(metadata=self._meta(collection_name)["metadata"]),
                              points_count=i.points_count, segments_count=i.segments_count,
                              indexed_vectors_count=i.indexed_vectors_count)

    def create_payload_index(self, collection_name: str, field_name: str, field_schema: Any = None,
                             **_: Any) -> None:
        self._shard(collection_name).update(qe.UpdateOperation.create_field_index(field_name, _SCHEMA[field_schema]))

    # -------------------------------------------------------------------- writes
    def upsert(self, collection_name: str, points: Iterable[models.PointStruct], wait: bool = True, **_: Any) -> None:
        pts = []
        for p in points:
            vec = p.vector if isinstance(p.vector, dict) else {"": p.vector}
            pts.append(qe.Point(_pid(p.id), {k: _vector(v) for k, v in vec.items()}, dict(p.payload or {})))
        if pts:
            self._shard(collection_name).update(qe.UpdateOperation.upsert_points(pts))

    def delete(self, collection_name: str, points_selector: Any, wait: bool = True, **_: Any) -> None:
        sh = self._shard(collection_name)
        if isinstance(points_selector, models.Filter):
            sh.update(qe.UpdateOperation.delete_points_by_filter(to_filter(points_selector)))
        elif isinstance(points_selector, models.FilterSelector):
            sh.update(qe.UpdateOperation.delete_points_by_filter(to_filter(points_selector.filter)))
        elif isinstance(points_selector, models.PointIdsList):
            sh.update(qe.UpdateOperation.delete_points([_pid(i) for i in points_selector.points]))
        else:
            sh.update(qe.UpdateOperation.delete_points([_pid(i) for i in points_selector]))

    def optimize(self, collection_name: str) -> bool:
        """Build the HNSW graph / merge segments now (blocking); True if anything changed."""
        sh = self._shard(collection_name)
        changed = sh.optimize()
        sh.flush()
        return changed

    # --------------------------------------------------------------------- reads
    def retrieve(self, collection_name: str, ids: list, with_payload: Any = True, with_vectors: bool = False,
                 **_: Any) -> list[models.Record]:
        recs = self._shard(collection_name).retrieve([_pid(i) for i in ids], _payload_selector(with_payload),
                                                     bool(with_vectors))
        return [_record(r) for r in recs]

    def count(self, collection_name: str, count_filter: models.Filter | None = None, exact: bool = True,
              **_: Any) -> models.CountResult:
        n = self._shard(collection_name).count(qe.CountRequest(exact=exact, filter=to_filter(count_filter)))
        return models.CountResult(count=n)

    def scroll(self, collection_name: str, scroll_filter: models.Filter | None = None, limit: int = 10,
               offset: Any = None, with_payload: Any = True, with_vectors: bool = False, **_: Any):
        recs, nxt = self._shard(collection_name).scroll(qe.ScrollRequest(
            offset=_pid(offset) if offset is not None else None, limit=limit, filter=to_filter(scroll_filter),
            with_payload=_payload_selector(with_payload), with_vector=bool(with_vectors)))
        return ([_record(r) for r in recs],
                _pid(nxt) if nxt is not None else None)

    def _prefetch(self, p: models.Prefetch) -> qe.Prefetch:
        subs = p.prefetch if isinstance(p.prefetch, list) else ([p.prefetch] if p.prefetch else [])
        return qe.Prefetch(limit=p.limit or 10, query=_query(p.query, p.using),
                           prefetches=[self._prefetch(s) for s in subs] or None,
                           filter=to_filter(p.filter), params=self._params(p.query, p.params),
                           score_threshold=p.score_threshold)

    def _params(self, q: Any, params: models.SearchParams | None) -> qe.SearchParams | None:
        if not _is_vector_query(q):
            return None
        if params is not None:
            return qe.SearchParams(hnsw_ef=params.hnsw_ef or self.hnsw.ef, exact=bool(params.exact))
        return qe.SearchParams(hnsw_ef=self.hnsw.ef)

    def query_points(self, collection_name: str, query: Any = None, using: str | None = None,
                     prefetch: Any = None, query_filter: models.Filter | None = None,
                     search_params: models.SearchParams | None = None, limit: int = 10,
                     with_payload: Any = True, score_threshold: float | None = None, **_: Any) -> QueryResponse:
        pre = prefetch if isinstance(prefetch, list) else ([prefetch] if prefetch else [])
        req = qe.QueryRequest(limit=limit, query=_query(query, using), prefetches=[self._prefetch(p) for p in pre] or None,
                              filter=to_filter(query_filter), params=self._params(query, search_params),
                              with_payload=_payload_selector(with_payload), with_vector=False,
                              score_threshold=score_threshold)
        res = self._shard(collection_name).query(req)
        return QueryResponse(points=[models.ScoredPoint(id=_pid(p.id), version=p.version, score=p.score,
                                                        payload=p.payload or {}) for p in res])

    # ------------------------------------------------------------------ lifecycle
    def info(self, collection_name: str) -> dict:
        i = self._shard(collection_name).info()
        return {"points": i.points_count, "segments": i.segments_count, "indexed_vectors": i.indexed_vectors_count}

    def close(self) -> None:
        with self._lock:
            for sh in self._shards.values():
                try:
                    sh.flush()
                finally:
                    sh.close()
            self._shards.clear()
