"""The answer flow in LLM mode: build the prompt, stream the model's tokens, verify citations;
and the LLM's rewrite of a follow-up question into a standalone one.

    ans = llm_answer("Ai là Bí thư Tỉnh ủy Đắk Lắk?", hits, settings=settings, on_token=print)
    ans.text, ans.citations, ans.dropped   # verified text, its Citations, references removed
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rag import questions
from rag.contract import REFUSALS, Citation
from rag.llm.base import LLMUnavailable, cap_tokens, lang
from rag.llm.citations import CITE_RE, verify_citations
from rag.llm.prompt import PROMPT_MARGIN, build_prompt, chat_turns, msg_tokens, rewrite_messages
from rag.llm.stream import stream_tokens
from rag.models import Hit
from rag.settings import Settings

REWRITE_MAX_TOKENS = 96


@dataclass
class LLMAnswer:
    text: str  # verified answer: only supported [n] markers, renumbered 1..K
    citations: list[Citation]  # n = 1..K
    dropped: int  # [n] references removed because no given passage supports the sentence
    raw: str  # what the model streamed, unchanged

    @property
    def refused(self) -> bool:
        t = self.text.strip().rstrip(".").strip()
        return any(t == r.rstrip(".") for r in REFUSALS.values())


def stream_answer(question: str, hits: list[Hit], history: list[dict] | None, language: str,
                  settings: Settings, *, max_tokens: int | None = None) -> Iterator[str]:
    """Tokens of the model's answer as they arrive (raw, before citation checks).
    max_tokens: a shorter cap than the answer room reserved in the prompt (answer_tokens)."""
    prompt = build_prompt(question, hits, history, language, settings)
    return stream_tokens(prompt.messages, settings, cap_tokens(prompt.max_tokens, max_tokens))


def llm_answer(question: str, hits: list[Hit], *, history: list[dict] | None = None, language: str = "vi",
               settings: Settings, on_token: Callable[[str], None] | None = None,
               max_tokens: int | None = None) -> LLMAnswer:
    """Stream the model's answer (on_token sees every raw token), then verify its citations
    against the passages that were actually shown to it."""
    prompt = build_prompt(question, hits, history, language, settings)
    parts: list[str] = []
    for tok in stream_tokens(prompt.messages, settings, cap_tokens(prompt.max_tokens, max_tokens)):
        parts.append(tok)
        if on_token is not None:
            on_token(tok)
    raw = "".join(parts)
    if not raw.strip():
        raise LLMUnavailable("the LLM returned an empty answer")
    text, citations, dropped = verify_citations(raw, prompt.hits, lang(language))
    return LLMAnswer(text=text, citations=citations, dropped=dropped, raw=raw)


_REWRITE_PREFIX_RE = re.compile(
    r"^(?:câu hỏi(?: độc lập| viết lại| đã viết lại)?|standalone question|rewritten question|question)\s*:\s*",
    re.IGNORECASE,
)


def rewrite_followup(question: str, history: list[dict] | None, settings: Settings, *,
                     max_tokens: int | None = None) -> str:
    """A standalone version of a follow-up question, written by the LLM from the history
    (prompts/rewrite_vi.txt); the original question on any failure or implausible output."""
    turns = chat_turns(history)
    if not turns or not question.strip():
        return question
    try:
        messages = rewrite_messages(question, turns)
        budget = settings.llm_context_tokens - REWRITE_MAX_TOKENS
        if sum(msg_tokens(m.content or "") for m in messages) > budget * PROMPT_MARGIN:
            return question
        out = "".join(stream_tokens(messages, settings, cap_tokens(REWRITE_MAX_TOKENS, max_tokens)))
    except Exception:
        return question
    line = next((ln.strip() for ln in out.splitlines() if ln.strip()), "")
    line = _REWRITE_PREFIX_RE.sub("", line).strip().strip("\"“”'«»").strip()
    return line if plausible_rewrite(line, question, turns) else question


def plausible_rewrite(line: str, question: str, history: list[dict]) -> bool:
    """A rewrite may only reuse words of the question and the history (the prompt's rule 2):
    that rejects answers, explanations and echoed instructions."""
    if not line or len(line) > 3 * len(question) + 200 or CITE_RE.search(line) or "<<<" in line:
        return False
    terms = set(questions.content_terms(line))
    if not terms:
        return False
    known = set(questions.content_terms(question))
    for h in history:
        known.update(questions.content_terms(str(h.get("content", ""))))
    return len(terms & known) / len(terms) >= 0.6
