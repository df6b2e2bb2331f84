"""Real token streaming: `Assistant.ask(..., on_token=...)` runs in a worker thread while the
caller (the Gradio chat generator, the SSE response) receives the LLM's tokens as they come.

The stream yields text chunks (the model's raw draft: every token that arrived since the last
chunk, joined) and ends with the verified `Answer`, whose text replaces the draft (citations
checked and renumbered). An extractive answer has no draft: the stream is the Answer alone.
A draft that `hold` flags (one reciting the system instructions: the final answer will not show
it either) stops there: the stream yields WITHHELD once and no more draft.

    >>> def ask(question, on_token=None):
    ...     on_token("Sơn ")
    ...     on_token("La")
    ...     return question.upper()
    >>> parts = list(stream_answer(ask, question="q"))
    >>> parts[-1]
    'Q'
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator


WITHHELD = object()  # "the draft so far must not be shown; the final answer follows"


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class _Done:
    def __init__(self, result: Any):
        self.result = result


def stream_answer(ask: Callable[..., Any], hold: Callable[[str], bool] | None = None, **kwargs) -> Iterator[Any]:
    """Yield draft chunks (str) while `ask(**kwargs, on_token=…)` works, then its result.
    Exceptions from `ask` are raised here, in the consumer's thread."""
    q: queue.Queue = queue.Queue()
    draft, held = "", False

    def work() -> None:
        try:
            q.put(_Done(ask(on_token=q.put, **kwargs)))
        except BaseException as e:  # handed to the consumer, which decides what the user sees
            q.put(_Failed(e))

    threading.Thread(target=work, name="hoidap-answer", daemon=True).start()
    while True:
        item = q.get()
        parts: list[str] = []
        while isinstance(item, str):  # batch what has piled up: a slow consumer gets bigger chunks
            parts.append(item)
            try:
                item = q.get_nowait()
            except queue.Empty:
                item = None
        if parts and not held:
            draft += "".join(parts)
            held = hold is not None and hold(draft)
            yield WITHHELD if held else "".join(parts)
        if item is None:
            continue
        if isinstance(item, _Failed):
            raise item.error
        yield item.result
        return
