"""Generated answers (LLM mode): an OpenAI-compatible chat model answers from numbered passages,
then every [n] citation is checked against the passage it names. No LLM is needed for the
default extractive answers; nothing here loads until LLM mode is used.

Rooms, one concern each:

* `backends`  — the model: a local GGUF served in-process by xllamacpp, or any OpenAI-compatible
  URL, picked from settings (``get_llm``); `gguf` reads a GGUF header to pick its chat template;
* `prompt`    — prompt assembly fitted to the context window; every instruction text is a file
  in ``prompts/``; the prompt-leak detector;
* `stream`    — token streaming under a whole-answer deadline and a per-token stall watchdog;
* `citations` — ``verify_citations``: keep, move or drop each [n] by what the passages support;
* `answer`    — the flow: ``llm_answer`` and ``rewrite_followup``.

Every failure of the generation path raises ``LLMUnavailable``; the caller falls back to the
extractive answer.

    from rag import llm
    try:
        ans = llm.llm_answer(question, hits, language="vi", settings=settings, on_token=print)
        print(ans.text, [c.title for c in ans.citations])
    except llm.LLMUnavailable as e:
        print("extractive answer instead:", e.reason)
"""
from rag.llm.answer import LLMAnswer, llm_answer, plausible_rewrite, rewrite_followup, stream_answer
from rag.llm.backends import get_llm, local_server_info, stop_local_server
from rag.llm.base import LLMUnavailable, answer_tokens
from rag.llm.citations import verify_citations
from rag.llm.gguf import chat_template_for
from rag.llm.prompt import build_messages, build_prompt, leaks_prompt, load_prompt

__all__ = [
    "LLMUnavailable",
    "LLMAnswer",
    "get_llm",
    "build_messages",
    "build_prompt",
    "stream_answer",
    "verify_citations",
    "llm_answer",
    "rewrite_followup",
    "plausible_rewrite",
    "stop_local_server",
    "local_server_info",
    "chat_template_for",
    "answer_tokens",
    "leaks_prompt",
    "load_prompt",
]
