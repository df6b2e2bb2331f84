"""Token streaming from the chat model under a watchdog, so a request always returns on time.

    for token in stream_tokens(messages, settings, max_tokens=256):
        print(token, end="", flush=True)
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from llama_index.core.llms import ChatMessage

from rag.llm.backends import get_llm
from rag.llm.base import LLMUnavailable
from rag.settings import Settings


def stream_tokens(messages: list[ChatMessage], settings: Settings, max_tokens: int) -> Iterator[str]:
    """Tokens from the model, under a watchdog: the whole answer must arrive within
    llm_timeout_s and no wait for a token may exceed llm_stall_timeout_s, whatever the server
    does (accept and stay silent, trickle one byte a minute…). The HTTP read runs in a worker
    thread; this generator only waits on a queue with a deadline, so it always returns on time.
    Configuration errors (no backend, missing GGUF) raise LLMUnavailable now, not on iteration."""
    import httpx  # noqa: PLC0415
    import openai  # noqa: PLC0415

    total = max(0.1, settings.llm_timeout_s)
    stall = max(0.1, min(settings.llm_stall_timeout_s, total))
    # A client of its own: closing it when the stream stops early closes the socket, which is
    # what tells llama.cpp to stop generating (an abandoned response is only freed by the GC).
    client = openai.DefaultHttpxClient(timeout=httpx.Timeout(stall, connect=min(stall, 10.0)))
    try:
        llm = get_llm(settings, max_tokens=max_tokens, http_client=client, timeout=stall)
    except BaseException:
        client.close()
        raise
    return _watch(llm, messages, client, total, stall)


def _read(llm, messages: list[ChatMessage], out: queue.Queue, stop: threading.Event) -> None:
    """Worker thread: put ("token", text) items, then ("end", None) or ("error", exception)."""
    it = None
    try:
        it = iter(llm.stream_chat(messages))
        for chunk in it:
            if stop.is_set():
                break
            if chunk.delta:
                out.put(("token", chunk.delta))
        out.put(("end", None))
    except BaseException as e:  # openai.APIConnectionError, APITimeoutError, APIStatusError, …
        out.put(("error", e))
    finally:
        close = getattr(it, "close", None)
        if close:
            try:
                close()
            except Exception:
                pass


def _watch(llm, messages: list[ChatMessage], client, total: float, stall: float) -> Iterator[str]:
    out: queue.Queue = queue.Queue()
    stop = threading.Event()
    worker = threading.Thread(target=_read, args=(llm, messages, out, stop), name="llm-stream", daemon=True)
    deadline = time.monotonic() + total
    worker.start()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LLMUnavailable(f"Timeout: the LLM did not finish within {total:g} s")
            try:
                kind, value = out.get(timeout=min(stall, left))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise LLMUnavailable(f"Timeout: the LLM did not finish within {total:g} s") from None
                raise LLMUnavailable(f"Timeout: the LLM sent nothing for {stall:g} s") from None
            if kind == "token":
                yield value
            elif kind == "end":
                return
            else:
                raise LLMUnavailable(f"the LLM request failed: {type(value).__name__}: {value}") from value
    finally:
        stop.set()
        client.close()  # the worker's read fails or times out within `stall`; it is a daemon
