"""Per-user accounts: names, scrypt-hashed passwords and a personal API token each.

`hoidap user add NAME` creates one (the password is asked twice; the API token is printed
once and stored only as a SHA-256 hash: it is 32 random bytes, so a fast hash is safe where a
password needs a slow KDF). People sign in to the web page with name + password and call the
API with `Authorization: Bearer <their token>` (or HTTP Basic name:password).

    >>> accounts = Accounts(Database(Path("/tmp/hoidap-doc/web.sqlite3")))  # doctest: +SKIP
    >>> token = accounts.add("lan", "mật khẩu dài")  # doctest: +SKIP
    >>> accounts.check_password("lan", "mật khẩu dài"), accounts.user_for_token(token)  # doctest: +SKIP
    (True, 'lan')
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from ui.web.conversations import Database, now_iso

# scrypt cost (RFC 7914): 16 MiB and ~50 ms per check here; stored with each hash so it can change
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")


class AccountError(ValueError):
    """A user name or password that cannot be used (the message says why)."""


def hash_password(password: str, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    salt = salt or secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(dk).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, want = stored.split("$")
        if kind != "scrypt":
            return False
        got = hash_password(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.rsplit("$", 1)[1], want)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, db: Database):
        self.db = db

    def any(self) -> bool:
        return bool(self.db.query("SELECT 1 FROM users LIMIT 1"))

    def names(self) -> list[str]:
        return [r["name"] for r in self.db.query("SELECT name FROM users ORDER BY name")]

    def add(self, name: str, password: str, replace: bool = False) -> str:
        """Create (or with replace=True reset) an account; returns its new personal API token."""
        if not NAME_RE.match(name or ""):
            raise AccountError("user names are 1-64 letters, digits, '.', '_', '@' or '-'")
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        token = "hd-" + secrets.token_urlsafe(32)
        with self.db.tx() as c:
            exists = c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                raise AccountError(f"user {name!r} already exists (use --replace to reset the password)")
            c.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
                      (name, hash_password(password), _token_hash(token), now_iso()))
        return token

    def remove(self, name: str) -> bool:
        with self.db.tx() as c:
            return c.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def check_password(self, name: str, password: str) -> bool:
        rows = self.db.query("SELECT password FROM users WHERE name = ?", (name,))
        if not rows:
            verify_password(password, hash_password("x"))  # same time for unknown names
            return False
        return verify_password(password, rows[0]["password"])

    def user_for_token(self, token: str) -> str | None:
        rows = self.db.query("SELECT name FROM users WHERE token_hash = ?", (_token_hash(token),))
        return rows[0]["name"] if rows else None
