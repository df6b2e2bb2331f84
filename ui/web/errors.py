"""One error shape per API family and the handlers that produce it.

    /api/...  {"error": "message"}
    /v1/...   {"error": {"message": ..., "type": ..., "code": ...}}   (OpenAI's format)

Every refusal of input is a 4xx with a message naming the field; nothing becomes a 500.

    >>> install_error_handlers(app)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

MAX_BODY_BYTES = 1024 * 1024  # a question is at most a few KB


class ApiError(HTTPException):
    """An HTTP error with a message for the client (and an OpenAI error code for /v1)."""

    def __init__(self, status: int, message: str, code: str | None = None, kind: str = "invalid_request_error"):
        super().__init__(status, message)
        self.code, self.kind = code, kind


class BodyTooLarge(ApiError):
    def __init__(self) -> None:
        super().__init__(413, f"the request body is over {MAX_BODY_BYTES // 1024} KB")


def error_response(request: Request, status: int, message: str, code: str | None = None,
                   kind: str = "invalid_request_error") -> JSONResponse:
    openai = request.url.path.startswith("/v1/")
    body: dict = ({"error": {"message": message, "type": kind, "param": None, "code": code}} if openai
                  else {"error": message})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """The first pydantic error as one sentence naming the field."""
    e = errors[0] if errors else {}
    kind = e.get("type", "")
    loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
    if kind == "json_invalid":
        return "the body is not valid JSON"
    if kind in ("model_attributes_type", "dict_type", "model_type") and not loc:
        return "the body must be a JSON object"
    if kind == "extra_forbidden":
        return f"unknown field: {loc}"
    if kind == "missing":
        return f"'{loc}' is required"
    msg = str(e.get("msg", "invalid input")).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc and loc not in msg else msg


def install_error_handlers(app) -> None:
    from rag.assistant import QuestionError
    from rag.contract import RequestError

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(request, exc.status_code, exc.detail, exc.code, exc.kind)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):  # e.g. FastAPI's "error parsing the body"
        return error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return error_response(request, 400, validation_message(list(exc.errors())))

    @app.exception_handler(RequestError)
    @app.exception_handler(QuestionError)
    async def _refused(request: Request, exc: Exception):
        return error_response(request, 400, str(exc))


class BodyLimit:
    """ASGI middleware: refuse API request bodies over MAX_BODY_BYTES before they are buffered
    (a declared Content-Length is refused at once; a chunked body as soon as it passes the limit)."""

    def __init__(self, app, prefixes: tuple[str, ...] = ("/api/", "/v1/"), limit: int = MAX_BODY_BYTES):
        self.app, self.prefixes, self.limit = app, prefixes, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge()  # an HTTPException: FastAPI passes it on to the handler above
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope, receive, send):
        response = error_response(Request(scope, receive), 413, BodyTooLarge().detail)
        await response(scope, receive, send)
