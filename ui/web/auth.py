"""Who may use the HTTP API: `Authorization: Bearer <HOIDAP_ACCESS_TOKEN>` when a token is set.

FastAPI's `HTTPBearer` reads the header; the token is compared in constant time. Without a
token configured every request is let in (the server binds 127.0.0.1 by default).

    >>> from fastapi import Depends, FastAPI   # doctest: +SKIP
    >>> app.get("/api/x", dependencies=[Depends(bearer_auth(settings))])  # doctest: +SKIP
"""
from __future__ import annotations

import secrets
from typing import Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.settings import Settings
from ui.web.errors import ApiError

UI_USER = "hoidap"  # the Gradio login name when a token is set (the password is the token)

_bearer = HTTPBearer(auto_error=False, description="HOIDAP_ACCESS_TOKEN")


def configured_token(settings: Settings) -> str:
    return settings.access_token.get_secret_value() if settings.access_token else ""


def token_ok(settings: Settings, given: str | None) -> bool:
    token = configured_token(settings)
    if not token:
        return True
    return bool(given) and secrets.compare_digest(given.encode(), token.encode())


def bearer_auth(settings: Settings) -> Callable[..., str]:
    """A FastAPI dependency: the caller's user name, or a 401 ApiError."""

    def check(creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
        if not configured_token(settings):
            return ""
        if creds is None or not token_ok(settings, creds.credentials.strip()):
            raise ApiError(401, "missing or wrong access token: send 'Authorization: Bearer <HOIDAP_ACCESS_TOKEN>'",
                           code="invalid_api_key")
        return UI_USER

    return check
