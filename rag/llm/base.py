"""What every room of `rag.llm` shares: the one failure type and the size of the answer room."""
from __future__ import annotations

from rag.settings import Settings


class LLMUnavailable(RuntimeError):
    """The LLM path cannot answer (not configured, cannot start, unreachable, timed out, failed).
    The caller falls back to the extractive answer and shows `reason` as a notice."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def answer_tokens(settings: Settings) -> int:
    """Tokens reserved for (and the max length of) a generated answer."""
    return max(64, min(512, settings.llm_context_tokens // 8))


def cap_tokens(reserved: int, requested: int | None) -> int:
    """A caller's shorter cap on the answer length, never more than the room reserved for it."""
    return reserved if not requested or requested <= 0 else min(reserved, requested)


def lang(language: str | None) -> str:
    """The prompt language: English for English questions, Vietnamese otherwise."""
    return "en" if language == "en" else "vi"
