"""Polite, guarded HTTP GET: what every web source (page, feed, sitemap, document) goes through.

* a User-Agent naming hoidap; robots.txt honoured (RFC 9309 via Protego: a 4xx robots.txt
  allows everything, an unreachable one forbids everything; a Crawl-delay is respected);
* one request at a time per host, ``fetch_delay_s`` apart;
* retries with exponential backoff after timeouts, connection errors, 429 and 5xx
  (``Retry-After`` honoured up to 30 s);
* ``fetch_max_mb`` and ``fetch_timeout_s`` per page (the whole download, redirects included);
* redirects followed by hand, at most 5, only to http(s), each target vetted by ``guard``
  again; the connection goes to the address the guard vetted (no second DNS answer).

    >>> from ingest.web.fetch import Fetcher, FetchError
    >>> from rag.settings import Settings
    >>> fetcher = Fetcher(Settings())
    >>> try:
    ...     fetcher.get("http://169.254.169.254/latest/meta-data/")
    ... except FetchError as e:
    ...     print(e)
    http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a link-local address (set HOIDAP_FETCH_ALLOW_HOSTS to allow it)
"""
from __future__ import annotations

import email.utils
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from ingest.web.guard import AddressGuard, FetchRefused, Target
from rag.settings import Settings

__all__ = ["Fetcher", "FetchError", "Response"]

MAX_REDIRECTS = 5
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_S = 30.0


class FetchError(Exception):
    """A URL that could not be fetched: ``str(e)`` is one line naming the URL and the reason."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    content: bytes
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset" and v.strip():
                return v.strip().strip("\"'")
        return None


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason, self.wait = reason, wait


def _pinned_url(t: Target) -> str:
    """The URL with its host replaced by the vetted address (brackets for IPv6)."""
    p = urlsplit(t.url)
    host = f"[{t.address}]" if isinstance(ipaddress.ip_address(t.address), ipaddress.IPv6Address) else t.address
    netloc = f"{host}:{p.port}" if p.port else host
    return urlunsplit((p.scheme, netloc, p.path or "/", p.query, ""))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    try:  # an HTTP date
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)


class Fetcher:
    """One per ingest run or watch loop: it keeps the robots.txt cache and the per-host pace."""

    def __init__(self, settings: Settings, backoff_s: float = 1.0):
        self.settings = settings
        self.guard = AddressGuard(settings.fetch_allow_hosts)
        self.max_bytes = int(settings.fetch_max_mb * 1024 * 1024)
        self.backoff_s = backoff_s
        self._robots: dict[str, object] = {}
        self._host_locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(follow_redirects=False, trust_env=False, http2=False,
                                    limits=httpx.Limits(max_keepalive_connections=0))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ public
    def get(self, url: str, check_robots: bool = True) -> Response:
        """The page at `url` (status 2xx), or FetchError with a one-line reason."""
        deadline = time.monotonic() + self.settings.fetch_timeout_s
        redirects: list[str] = []
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                target = self.guard.vet(current)
                if check_robots and not self.allowed(target):
                    raise FetchRefused(f"robots.txt of {target.host} does not allow hoidap to fetch it")
                resp = self._with_retries(target, deadline)
                if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                    redirects.append(current)
                    current = urljoin(current, resp.headers["location"])
                    continue
                if resp.status >= 400:
                    raise FetchRefused(f"HTTP {resp.status} {httpx.codes.get_reason_phrase(resp.status)}".strip())
                resp.redirects = redirects
                return resp
            raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
        except FetchRefused as e:
            where = f" (redirected to {current})" if redirects else ""
            raise FetchError(url, e.reason + where) from None
        except _Retry as e:
            raise FetchError(url, e.reason) from None

    def allowed(self, target: Target) -> bool:
        """Whether robots.txt of the target's host lets hoidap fetch it (fetched once per host)."""
        from protego import Protego

        key = f"{target.scheme}://{target.host}:{target.port}"
        if key not in self._robots:
            robots_url = f"{target.scheme}://{urlsplit(target.url).netloc}/robots.txt"
            try:
                resp = self._with_retries(self.guard.vet(robots_url), time.monotonic() + self.settings.fetch_timeout_s)
                if 200 <= resp.status < 300:
                    self._robots[key] = Protego.parse(resp.content.decode("utf-8", "replace"))
                elif 400 <= resp.status < 500 or resp.status in (301, 302, 303, 307, 308):
                    self._robots[key] = None  # no robots.txt: everything is allowed
                else:
                    self._robots[key] = False
            except (_Retry, FetchRefused):
                self._robots[key] = False  # unreachable robots.txt: assume a complete disallow
            rules = self._robots[key]
            if rules:
                delay = rules.crawl_delay(self.settings.fetch_user_agent)
                if delay:
                    self._crawl_delay[target.host] = min(float(delay), MAX_RETRY_AFTER_S)
        rules = self._robots[key]
        if rules is None:
            return True
        if rules is False:
            return False
        return rules.can_fetch(target.url, self.settings.fetch_user_agent)

    # ------------------------------------------------------------------ one request
    def _with_retries(self, target: Target, deadline: float) -> Response:
        attempt = 0
        while True:
            try:
                return self._once(target, deadline)
            except _Retry as e:
                attempt += 1
                wait = e.wait if e.wait is not None else self.backoff_s * 2 ** (attempt - 1)
                if attempt > self.settings.fetch_retries or time.monotonic() + wait >= deadline:
                    tries = f" after {attempt} tries" if attempt > 1 else ""
                    raise _Retry(e.reason + tries) from None
                time.sleep(wait)

    def _pace(self, host: str) -> threading.Lock:
        with self._lock:
            lock = self._host_locks.setdefault(host, threading.Lock())
        lock.acquire()
        delay = max(self.settings.fetch_delay_s, self._crawl_delay.get(host, 0.0))
        wait = self._last.get(host, -1e9) + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return lock

    def _once(self, target: Target, deadline: float) -> Response:
        lock = self._pace(target.host)
        try:
            return self._download(target, deadline)
        finally:
            self._last[target.host] = time.monotonic()
            lock.release()

    def _download(self, target: Target, deadline: float) -> Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Retry(f"timed out after {self.settings.fetch_timeout_s:g} s")
        host_header = urlsplit(target.url).netloc.rpartition("@")[2]
        request = self._client.build_request(
            "GET", _pinned_url(target), timeout=httpx.Timeout(remaining),
            headers={"Host": host_header, "User-Agent": self.settings.fetch_user_agent,
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                     "Accept-Encoding": "gzip, deflate"},
            extensions={"sni_hostname": target.host} if target.scheme == "https" else None)
        try:
            resp = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.settings.fetch_timeout_s:g} s") from None
        except httpx.TransportError as e:
            raise _Retry(f"cannot connect: {e or type(e).__name__}") from None
        try:
            if resp.status_code in RETRY_STATUS:
                raise _Retry(f"HTTP {resp.status_code} {resp.reason_phrase}".strip(),
                             _retry_after(resp.headers.get("retry-after")))
            body = self._read_body(resp, deadline) if resp.status_code < 300 else b""
        finally:
            resp.close()
        return Response(url=target.url, status=resp.status_code,
                        headers={k.lower(): v for k, v in resp.headers.items()}, content=body)

    def _read_body(self, resp: httpx.Response, deadline: float) -> bytes:
        declared = resp.headers.get("content-length")
        limit_mb = f"{self.settings.fetch_max_mb:g} MB limit (HOIDAP_FETCH_MAX_MB)"
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchRefused(f"{int(declared) / 1048576:.1f} MB, over the {limit_mb}")
        chunks, size = [], 0
        try:
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchRefused(f"over the {limit_mb}")
                if time.monotonic() > deadline:
                    raise _Retry(f"timed out after {self.settings.fetch_timeout_s:g} s (still downloading)")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.settings.fetch_timeout_s:g} s") from None
        except httpx.TransportError as e:
            raise _Retry(f"connection broken while downloading: {e or type(e).__name__}") from None
        return b"".join(chunks)
