"""The JSON API (`/api/...`): a thin router with pydantic request bodies over `Services`.

    POST /api/ask      {question, history?, filters?{province,since,until,source_name}, mode?, top_k?}
                       -> exactly `Answer.to_json()` (the bytes `hoidap ask --json` prints)
    GET  /api/sources  -> [document records]

Request bodies are checked by rag.contract's rules (the CLI uses the same ones); a refusal is a
400 `{"error": "..."}` naming the field. With HOIDAP_ACCESS_TOKEN set, every route needs
`Authorization: Bearer <token>`.

    >>> app = FastAPI(); app.include_router(api_router(services))  # doctest: +SKIP
    >>> httpx.post(url + "/api/ask", json={"question": "Sơn La tinh giản bao nhiêu biên chế?"}).json()["answer"]  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from rag.contract import check_mode, check_top_k, parse_filters, parse_history
from rag.store import Filters
from ui.web.auth import bearer_auth
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


def api_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(bearer_auth(services.settings))])

    @router.post("/ask")
    async def ask(body: AskBody) -> Response:
        res = await run_in_threadpool(services.ask, **body.ask_args(services))
        return Response(res.to_json(), media_type="application/json")

    @router.get("/sources")
    async def sources() -> JSONResponse:
        return JSONResponse(await run_in_threadpool(services.documents))

    return router
