"""Which URLs hoidap may fetch: the SSRF door, shut by default.

Only http and https; no credentials in the URL; and every address a host name resolves to must
be a public one: loopback, private, link-local (cloud metadata at 169.254.169.254), shared
(100.64/10), multicast, reserved and unspecified addresses are refused, IPv4 hidden inside IPv6
(mapped, 6to4, Teredo, NAT64) included, unless ``HOIDAP_FETCH_ALLOW_HOSTS`` names the host or
a network that holds the address. The fetcher calls ``vet`` for every request, redirects
included, and then connects to the address vetted here (not to a second DNS answer).

    >>> from ingest.web.guard import AddressGuard, FetchRefused
    >>> guard = AddressGuard([])
    >>> try:
    ...     guard.vet("http://127.0.0.1:8000/feed.xml")
    ... except FetchRefused as e:
    ...     print(e.reason)
    127.0.0.1 is a loopback address (set HOIDAP_FETCH_ALLOW_HOSTS to allow it)
    >>> AddressGuard(["127.0.0.1"]).vet("http://127.0.0.1:8000/feed.xml").address
    '127.0.0.1'
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["AddressGuard", "FetchRefused", "Target"]

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchRefused(Exception):
    """A URL hoidap will not fetch; `reason` says why in one sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A vetted URL: connect to `address`, present `host` (Host header, TLS name)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _kind(ip: _IP) -> str | None:
    """What makes `ip` off limits ("a loopback address"…), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _kind(inner)
    checks = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved), ("private", ip.is_private))
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    if not ip.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT, some clouds' metadata)
        return "a non-public address"
    return None


class AddressGuard:
    def __init__(self, allow: list[str] | tuple[str, ...]):
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            entry = entry.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                self.allow_nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.allow_hosts.add(entry.rstrip("."))

    def _allowed(self, host: str, ip: _IP) -> bool:
        return host in self.allow_hosts or any(ip in net for net in self.allow_nets)

    def resolve(self, host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise FetchRefused(f"cannot resolve host {host!r} ({e})") from None
        return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))

    def vet(self, url: str) -> Target:
        """The URL's target after DNS, or FetchRefused naming what is wrong with it."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise FetchRefused(f"not a valid URL ({e})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchRefused(f"only http and https URLs are fetched, not {scheme or 'a relative URL'}:")
        if parts.username or parts.password:
            raise FetchRefused("URLs with a user name or password are not fetched")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise FetchRefused("the URL has no host")
        port = port or (443 if scheme == "https" else 80)
        addresses = self.resolve(host, port)
        if not addresses:
            raise FetchRefused(f"host {host!r} has no address")
        for a in addresses:  # every answer must pass: one private answer is enough to refuse
            ip = ipaddress.ip_address(a)
            kind = _kind(ip)
            if kind and not self._allowed(host, ip):
                shown = a if a == host else f"{host} resolves to {a}, which"
                raise FetchRefused(f"{shown} is {kind} (set HOIDAP_FETCH_ALLOW_HOSTS to allow it)")
        return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])
