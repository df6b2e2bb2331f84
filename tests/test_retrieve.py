"""Hybrid retrieval on the sample articles: the fusion spec built from Settings drives the store,
and the LlamaIndex retriever interface gives the same chunks as `search`."""
from __future__ import annotations

from tests.test_answer import DAK_LAK, LIST_Q, SON_LA


def test_fusion_spec_comes_from_settings(sample_store):
    from rag.fusion import FusionSpec

    settings, _ = sample_store
    st = settings.model_copy(update={"rrf_k": 7, "prefetch_limit": 11, "candidates": 9, "weight_fold": 0.2,
                                     "weight_fold_unaccented": 1.3, "boost_named": 0.05, "fusion": "dbsf"})
    spec = FusionSpec.from_settings(st)
    assert (spec.method, spec.rrf_k, spec.prefetch_limit, spec.candidates, spec.boost) == ("dbsf", 7, 11, 9, 0.05)
    assert spec.weights["fold"] == 0.2 and FusionSpec.from_settings(st, unaccented=True).weights["fold"] == 1.3


def test_store_queries_only_the_channels_the_spec_weights(sample_store, embedder):
    from rag import lexical
    from rag.fusion import FusionSpec

    settings, store = sample_store
    q = "Trưởng ban Tuyên giáo kiêm Giám đốc Trung tâm chính trị"
    dense = embedder.embed_query(q)
    sparse = {ch: lexical.query_vector(q, ch) for ch in ("lex", "fold")}
    spec = FusionSpec.from_settings(settings)
    dense_only = store.search(dense, sparse, fusion=spec.replace(weights={"dense": 1.0}), limit=8)
    direct = store.client.query_points(store.name, query=dense.tolist(), using="dense", limit=8).points
    assert [h.chunk_id for h in dense_only] == [p.payload["chunk_id"] for p in direct]
    assert len(store.search(dense, sparse, fusion=spec, limit=5)) == 5
    assert store.search(None, {}, fusion=spec) == []  # nothing to search with


def test_llamaindex_retrieve_gives_the_search_results_as_nodes(sample_store, embedder):
    from llama_index.core.schema import NodeWithScore

    from rag.retrieve import HybridRetriever

    settings, store = sample_store
    retriever = HybridRetriever(store, embedder, settings)
    nodes = retriever.retrieve(LIST_Q)  # LlamaIndex's public entry point (BaseRetriever.retrieve)
    hits = retriever.search(LIST_Q).hits
    assert nodes and all(isinstance(n, NodeWithScore) for n in nodes)
    assert [n.node.node_id for n in nodes] == [h.chunk_id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]
    assert {n.node.metadata["doc_id"] for n in nodes[:4]} >= {SON_LA, DAK_LAK}
    first = nodes[0].node
    assert first.get_content() == hits[0].text and first.metadata["title"] == hits[0].title
    assert "text" not in first.metadata  # the passage is the node's text, not repeated as metadata
