"""Token budgets for LLM prompts (tiktoken cl100k, offline via llama-index's bundled cache)."""
from __future__ import annotations

from functools import lru_cache

from rag.settings import apply_process_env


@lru_cache(maxsize=1)
def _encoding():
    apply_process_env()  # points TIKTOKEN_CACHE_DIR at the bundled files
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tiktoken(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_tiktoken(text: str, max_tokens: int) -> str:
    enc = _encoding()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    cut = enc.decode(ids[:max_tokens])
    # never end inside a syllable: back off to the last whitespace
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else cut
