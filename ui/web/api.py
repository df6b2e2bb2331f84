"""The JSON API (`/api/...`): a thin router with pydantic request bodies over `Services`.

    POST /api/ask      {question, history?, filters?{province,since,until,source_name}, mode?, top_k?,
                        conversation_id?}
                       -> exactly `Answer.to_json()` (the bytes `hoidap ask --json` prints); with
                          conversation_id (an id, or "new" to start one) the question continues that
                          stored conversation and the reply is the Answer plus "conversation_id" and
                          "turn_id" (also in the X-Conversation-Id header)
    GET  /api/sources  -> [document records]
    GET  /api/conversations              -> [{id, title, created, updated, turns}]   (the caller's only)
    GET  /api/conversations/{id}         -> {id, title, ..., turns: [{id, n, question, answer, filters}]}
    PATCH /api/conversations/{id}        {title} -> rename
    DELETE /api/conversations/{id}       -> {"deleted": true}
    GET  /api/conversations/{id}/export?format=md|docx   -> the conversation as Markdown or Word

Request bodies are checked by rag.contract's rules (the CLI uses the same ones); a refusal is a
400 `{"error": "..."}` naming the field. With HOIDAP_ACCESS_TOKEN set, every route needs
`Authorization: Bearer <token>`.

    >>> app = FastAPI(); app.include_router(api_router(services))  # doctest: +SKIP
    >>> httpx.post(url + "/api/ask", json={"question": "Sơn La tinh giản bao nhiêu biên chế?"}).json()["answer"]  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from rag.contract import Answer, check_mode, check_top_k, parse_filters, parse_history
from rag.store import Filters
from ui.web.auth import current_user
from ui.web.errors import ApiError
from ui.web.services import Services


class FiltersBody(BaseModel):
    """Hard filters; checked (and a province typed without accents resolved) by parse_filters."""

    model_config = ConfigDict(extra="forbid")

    province: Any = None
    since: Any = None
    until: Any = None
    source_name: Any = None

    def checked(self) -> Filters | None:
        return parse_filters(self.province, self.since, self.until, self.source_name)

    @model_validator(mode="after")
    def _check(self) -> "FiltersBody":
        self.checked()  # raises RequestError (a ValueError): a 400 naming the filter
        return self


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr
    history: Any = None
    filters: FiltersBody | None = None
    mode: Any = None
    top_k: Any = None
    conversation_id: StrictStr | None = None

    @model_validator(mode="after")
    def _one_history(self) -> "AskBody":
        if self.conversation_id is not None and self.history:
            raise ValueError("send either 'history' or 'conversation_id' (the stored turns are the history)")
        return self

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, v: Any) -> list[dict]:
        return parse_history(v)

    @field_validator("top_k", mode="before")
    @classmethod
    def _top_k(cls, v: Any) -> int | None:
        return check_top_k(v)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> str | None:
        if v is not None and v not in ("extractive", "llm"):
            raise ValueError("'mode' must be 'extractive' or 'llm'")
        return v

    def ask_args(self, services: Services) -> dict:
        """Keyword arguments for Services.ask (the mode checked against the settings)."""
        return {"question": self.question, "history": self.history or [],
                "filters": self.filters.checked() if self.filters else None,
                "mode": check_mode(self.mode, services.settings), "top_k": self.top_k}


class ConversationAnswer(Answer):
    """/api/ask's reply when a stored conversation is used: the Answer, then where it was stored."""

    conversation_id: str
    turn_id: str


class RenameBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: StrictStr


def _not_found(cid: str) -> ApiError:
    return ApiError(404, f"no conversation {cid!r} for this user", code="not_found")


def api_router(services: Services) -> APIRouter:
    user_dep = current_user(services.settings, services.accounts)
    router = APIRouter(prefix="/api")
    conv = services.conversations

    @router.post("/ask")
    async def ask(body: AskBody, user: str = Depends(user_dep)) -> Response:
        args = body.ask_args(services)
        if body.conversation_id is None:
            res = await run_in_threadpool(services.ask, **args)
            return Response(res.to_json(), media_type="application/json")
        args.pop("history")
        try:
            res, cid, tid = await run_in_threadpool(services.ask_in, user, body.conversation_id, **args)
        except KeyError:
            raise _not_found(body.conversation_id) from None
        out = ConversationAnswer(**res.model_dump(), conversation_id=cid, turn_id=tid)
        return Response(out.to_json(), media_type="application/json", headers={"X-Conversation-Id": cid})

    @router.get("/conversations")
    async def conversations(user: str = Depends(user_dep)) -> list[dict]:
        return conv.list(user)

    @router.get("/conversations/{cid}")
    async def conversation(cid: str, user: str = Depends(user_dep)) -> dict:
        return conv.get(user, cid) or _raise(_not_found(cid))

    @router.patch("/conversations/{cid}")
    async def rename(cid: str, body: RenameBody, user: str = Depends(user_dep)) -> dict:
        if not body.title.strip():
            raise ApiError(400, "title: must not be empty")
        if not conv.rename(user, cid, body.title):
            raise _not_found(cid)
        return {"id": cid, "title": conv.get(user, cid)["title"]}

    @router.delete("/conversations/{cid}")
    async def delete(cid: str, user: str = Depends(user_dep)) -> dict:
        if not conv.delete(user, cid):
            raise _not_found(cid)
        return {"deleted": True}

    @router.get("/conversations/{cid}/export")
    async def export(cid: str, format: str = "md", user: str = Depends(user_dep)) -> Response:
        from ui.web.export import export_conversation

        data = conv.get(user, cid) or _raise(_not_found(cid))
        try:
            body, media, name = export_conversation(data, format)
        except ValueError as e:
            raise ApiError(400, str(e)) from None
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    @router.get("/sources")
    async def sources(user: str = Depends(user_dep)) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(services.documents))

    return router


def _raise(error: Exception):
    raise error
