"""The OpenAI-compatible API (`/v1/...`), so OpenAI clients (the `openai` package, the `llm` CLI,
chat front-ends) can use hoidap as a model.

    GET  /v1/models              hoidap, hoidap-extractive (and hoidap-llm when an LLM is configured)
    POST /v1/chat/completions    stream or not; extra top-level "citations", "refused", "short_answer"

An unknown model is a 404 in OpenAI's error format. `usage` counts tokens with the project's
tokenizer (tiktoken cl100k, rag/tokens.py): the messages received and the content returned.

Streaming (stream=true): in LLM mode the model's tokens are sent as they are generated; its
citations are verified afterwards, so the last content chunk brings the verified answer with its
numbered sources (after a separator when verification changed the draft), and the final chunk
carries `citations`, `refused` and `answer` (the verified text, for clients that can replace
the draft). An extractive answer is ready at once and is sent in a few chunks.

    >>> OpenAI(base_url=url + "/v1", api_key="…").chat.completions.create(
    ...     model="hoidap", messages=[{"role": "user", "content": "Sơn La tinh giản bao nhiêu biên chế?"}])  # doctest: +SKIP
"""
from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, Iterator, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, field_validator
from starlette.concurrency import run_in_threadpool

from rag.contract import Answer, check_mode, check_top_k
from rag.tokens import count_tiktoken
from ui.web.api import FiltersBody
from ui.web.auth import current_user
from ui.web.errors import ApiError
from ui.web.render import answer_with_references
from ui.web.services import Services

MODEL_ID = "hoidap"
VERIFIED_HEADER = "Câu trả lời đã kiểm chứng nguồn:"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI content parts: keep the text ones
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens…: accepted, not used

    model: str = MODEL_ID
    messages: list[Message]
    stream: bool = False
    filters: FiltersBody | None = None
    top_k: Any = None

    @field_validator("messages")
    @classmethod
    def _last_is_user(cls, v: list[Message]) -> list[Message]:
        turns = [m for m in v if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            raise ValueError("the last message must come from the user")
        return v

    @field_validator("top_k", mode="before")
    @classmethod
    def _top_k(cls, v: Any) -> int | None:
        return check_top_k(v)


def model_ids(services: Services) -> list[str]:
    return [MODEL_ID, f"{MODEL_ID}-extractive"] + ([f"{MODEL_ID}-llm"] if services.settings.llm_configured else [])


def _ask_args(body: ChatBody, services: Services) -> dict:
    if body.model not in model_ids(services):
        hint = " (no LLM is configured)" if body.model == f"{MODEL_ID}-llm" else ""
        raise ApiError(404, f"The model '{body.model}' does not exist{hint}; available: "
                            f"{', '.join(model_ids(services))}", code="model_not_found")
    turns = [{"role": m.role, "content": m.text()} for m in body.messages if m.role in ("user", "assistant")]
    mode = body.model.removeprefix(MODEL_ID).lstrip("-") or None
    return {"question": services.assistant.clean_question(turns[-1]["content"]), "history": turns[:-1],
            "filters": body.filters.checked() if body.filters else None, "mode": check_mode(mode, services.settings),
            "top_k": body.top_k}


def _usage(body: ChatBody, content: str) -> dict:
    prompt = sum(count_tiktoken(m.text()) for m in body.messages)
    completion = count_tiktoken(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extras(res: Answer) -> dict:
    """hoidap's top-level additions to an OpenAI response: the sources and the short answer."""
    d = res.to_dict()
    return {"citations": d["citations"], "refused": d["refused"], "short_answer": d.get("short_answer")}


def _pieces(text: str, words: int = 6) -> Iterator[str]:
    parts = re.split(r"(\s+)", text)
    for i in range(0, len(parts), 2 * words):
        yield "".join(parts[i:i + 2 * words])


class _Completion:
    """One chat completion's ids and chunk format."""

    def __init__(self, model: str):
        self.id, self.created, self.model = "chatcmpl-" + uuid.uuid4().hex, int(time.time()), model

    def message(self, content: str, res: Answer, usage: dict) -> dict:
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": usage, **_extras(res)}

    def chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        obj = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def _events(services: Services, body: ChatBody, args: dict, out: _Completion) -> Iterator[str]:
    yield out.chunk({"role": "assistant", "content": ""})
    draft: list[str] = []
    try:
        for part in services.ask_stream(**args):
            if isinstance(part, Answer):
                res = part
            elif isinstance(part, str):  # WITHHELD: the rest of the draft is not sent
                draft.append(part)
                yield out.chunk({"content": part})
    except Exception as e:  # the stream has started: report in OpenAI's streamed-error shape
        yield f"data: {json.dumps({'error': {'message': f'{type(e).__name__}: {e}', 'type': 'server_error'}})}\n\n"
        yield "data: [DONE]\n\n"
        return
    content = answer_with_references(res.to_dict())
    raw = "".join(draft)
    if not raw:
        yield from (out.chunk({"content": p}) for p in _pieces(content))
    elif content.startswith(raw.strip()):
        yield out.chunk({"content": content[len(raw.strip()):]})
    else:
        yield out.chunk({"content": f"\n\n---\n{VERIFIED_HEADER}\n{content}"})
    yield out.chunk({}, "stop", **_extras(res), answer=content, usage=_usage(body, raw + content))
    yield "data: [DONE]\n\n"


def openai_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(current_user(services.settings, services.accounts))])

    @router.get("/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 0, "owned_by": "hoidap"}
                                           for i in model_ids(services)]}

    @router.post("/chat/completions")
    async def chat(body: ChatBody):
        args = _ask_args(body, services)
        out = _Completion(body.model)
        if body.stream:
            return StreamingResponse(_events(services, body, args, out), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        res = await run_in_threadpool(services.ask, **args)
        content = answer_with_references(res.to_dict())
        return JSONResponse(out.message(content, res, _usage(body, content)))

    return router
