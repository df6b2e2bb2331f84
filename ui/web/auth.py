"""Who is calling: the shared token, a personal account, or nobody (an open local server).

    HOIDAP_ACCESS_TOKEN set      `Authorization: Bearer <token>`; the user is "hoidap"
    accounts (hoidap user add)   `Authorization: Bearer <personal token>` or HTTP Basic name:password
    neither                      everyone is let in as the anonymous user "" (binds 127.0.0.1)

FastAPI's HTTPBearer/HTTPBasic read the header; secrets compare in constant time. The web page
uses the same rules through Gradio's login (`gradio_login`). Each user sees only their own
conversations.

    >>> router = APIRouter(dependencies=[Depends(current_user(services))])  # doctest: +SKIP
"""
from __future__ import annotations

import secrets
from typing import Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from rag.settings import Settings
from ui.web.accounts import Accounts
from ui.web.errors import ApiError

UI_USER = "hoidap"  # the user of the shared token (the web login name with the token as password)
ANONYMOUS = ""

_bearer = HTTPBearer(auto_error=False, description="HOIDAP_ACCESS_TOKEN or a personal API token")
_basic = HTTPBasic(auto_error=False, description="an account made with `hoidap user add`")


def configured_token(settings: Settings) -> str:
    return settings.access_token.get_secret_value() if settings.access_token else ""


def login_required(settings: Settings, accounts: Accounts) -> bool:
    return bool(configured_token(settings)) or accounts.any()


def user_for_login(settings: Settings, accounts: Accounts, name: str, password: str) -> str | None:
    """The user a name + password signs in as (the web page's login), or None."""
    token = configured_token(settings)
    if token and name == UI_USER and secrets.compare_digest(password.encode(), token.encode()):
        return UI_USER
    return name if accounts.check_password(name, password) else None


def user_for_bearer(settings: Settings, accounts: Accounts, given: str) -> str | None:
    token = configured_token(settings)
    if token and secrets.compare_digest(given.encode(), token.encode()):
        return UI_USER
    return accounts.user_for_token(given)


def gradio_login(settings: Settings, accounts: Accounts) -> Callable[[str, str], bool] | None:
    """Gradio's `auth`: None when nothing is configured (no login page)."""
    if not login_required(settings, accounts):
        return None
    return lambda name, password: user_for_login(settings, accounts, name or "", password or "") is not None


def current_user(settings: Settings, accounts: Accounts) -> Callable[..., str]:
    """A FastAPI dependency: the caller's user name, or a 401 ApiError."""

    def check(bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
              basic: HTTPBasicCredentials | None = Depends(_basic)) -> str:
        if not login_required(settings, accounts):
            return ANONYMOUS
        user = None
        if bearer is not None:
            user = user_for_bearer(settings, accounts, bearer.credentials.strip())
        elif basic is not None:
            user = user_for_login(settings, accounts, basic.username, basic.password)
        if user is None:
            raise ApiError(401, "missing or wrong access token: send 'Authorization: Bearer <token>' "
                                "(HOIDAP_ACCESS_TOKEN or your personal token)", code="invalid_api_key")
        return user

    return check
