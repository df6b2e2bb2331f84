"""Articles from the web: an article page, an RSS/Atom feed (every item it lists), a sitemap
(or sitemap index), or a linked .pdf/.docx, told apart by what the server sends back.

Every request goes through ``fetch.Fetcher`` (polite, robots.txt, SSRF-guarded). A feed or
sitemap yields one article per listed link, newest first, at most ``fetch_max_items``;
``since`` (ISO date) keeps only entries dated that day or later (undated ones are skipped then).
The doc_id of a web article is its URL.

    >>> from ingest.web import iter_url_items
    >>> from ingest.web.fetch import Fetcher
    >>> from rag.settings import Settings
    >>> with Fetcher(Settings()) as f:
    ...     [(x.source, x.reason) for x in iter_url_items(["http://localhost/rss"], f)]
    [('http://localhost/rss', 'localhost resolves to 127.0.0.1, which is a loopback address (set HOIDAP_FETCH_ALLOW_HOSTS to allow it)')]
"""
from __future__ import annotations

import gzip
import io
import re
from typing import Iterator
from urllib.parse import urlsplit

from ingest.readers.decode import DecodeError
from ingest.readers.html import decode_html, html_item
from ingest.readers.items import RawItem, ReadFailure, ReadNote, ReadOptions
from ingest.web.feeds import Entry, NotAListing, parse_feed, parse_sitemap, sniff
from ingest.web.fetch import FetchError, Fetcher, Response

__all__ = ["iter_url_items", "is_url", "fetch_listing"]

_FEEDISH = re.compile(r"(?:\.(?:rss|atom|xml)(?:\.gz)?|/(?:rss|feed|feeds|atom|sitemap[^/]*))/?$", re.IGNORECASE)
MAX_SITEMAPS = 50  # child sitemaps read from one sitemap index


def is_url(arg: object) -> bool:
    return isinstance(arg, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", arg) is not None


def _body(resp: Response, max_bytes: int) -> bytes:
    data = resp.content
    if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz and friends
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise NotAListing("decompressed size over the HOIDAP_FETCH_MAX_MB limit")
    return data


def _kind(resp: Response, data: bytes) -> str:
    ct = resp.content_type
    if ct == "application/pdf" or data.startswith(b"%PDF"):
        return "pdf"
    if "wordprocessingml" in ct or (data.startswith(b"PK\x03\x04") and urlsplit(resp.url).path.lower().endswith(".docx")):
        return "docx"
    return sniff(data) or ("html" if "html" in ct else "unknown")


def _page(url: str, resp: Response, data: bytes, entry: Entry | None = None) -> RawItem | ReadFailure:
    try:
        doc = decode_html(data, url) if not resp.charset else data.decode(resp.charset)
    except (DecodeError, LookupError, UnicodeDecodeError):
        try:
            doc = decode_html(data, url)
        except DecodeError as e:
            return ReadFailure(url, e.reason)
    item = html_item(doc, doc_id=url, source=url, url=resp.url, kind="web")
    if isinstance(item, ReadFailure):
        return item
    fields = item.fields
    if entry is not None:  # what the feed says fills what the page does not
        for key, val in (("title", entry.title), ("date", entry.date)):
            if val and not fields.get(key):
                fields[key] = val
    # the page's canonical link names it when it is on the host that served it (else the
    # address fetched, after redirects: a copied page may keep its original's canonical link)
    canonical = fields.get("url")
    if not canonical or urlsplit(canonical).hostname != urlsplit(resp.url).hostname:
        fields["url"] = resp.url
    return item


def _document(url: str, kind: str, data: bytes, settings) -> Iterator[RawItem | ReadFailure | ReadNote]:
    from ingest.readers.documents import read_document_bytes

    yield from read_document_bytes(data, kind, doc_id=url, source=url, opts=ReadOptions.from_settings(settings),
                                   fields={"url": url})


def _fetch(url: str, fetcher: Fetcher) -> tuple[Response, bytes] | ReadFailure:
    try:
        resp = fetcher.get(url)
        return resp, _body(resp, fetcher.max_bytes)
    except FetchError as e:
        return ReadFailure(url, e.reason)
    except (NotAListing, OSError, EOFError) as e:
        return ReadFailure(url, f"cannot read the response: {e}")


def _entries(url: str, fetcher: Fetcher, data: bytes, kind: str, depth: int = 0) -> list[Entry]:
    if kind == "feed":
        return parse_feed(data, url).entries
    listing = parse_sitemap(data, url)
    if listing.kind == "sitemap":
        return listing.entries
    out: list[Entry] = []
    for child in listing.entries[:MAX_SITEMAPS]:
        if depth >= 2:
            break
        resp = fetcher.get(child.url)
        out.extend(_entries(child.url, fetcher, _body(resp, fetcher.max_bytes), "sitemap", depth + 1))
    return out


def _listing(url: str, fetcher: Fetcher, data: bytes, kind: str, since: str | None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    try:
        entries = _entries(url, fetcher, data, kind)
    except FetchError as e:
        yield ReadFailure(url, f"a sitemap it lists cannot be fetched: {e}")
        return
    except NotAListing as e:
        yield ReadFailure(url, str(e))
        return
    if not entries:
        yield ReadFailure(url, f"the {kind} lists no articles")
        return
    if since:
        kept = [e for e in entries if e.date and e.date[:10] >= since]
        if len(kept) < len(entries):
            yield ReadNote(url, f"{len(entries) - len(kept)} of {len(entries)} entries dated before {since} "
                                f"or undated: skipped (--since)")
        entries = kept
    limit = fetcher.settings.fetch_max_items
    if len(entries) > limit:
        yield ReadNote(url, f"lists {len(entries)} articles: reading the newest {limit} (HOIDAP_FETCH_MAX_ITEMS)")
        entries = entries[:limit]
    for entry in entries:
        yield from _read_url(entry.url, fetcher, entry=entry)


def _read_url(url: str, fetcher: Fetcher, since: str | None = None,
              entry: Entry | None = None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    """One URL: a page or document is one article; a feed or sitemap (not an entry of another)
    one article per listed link."""
    got = _fetch(url, fetcher)
    if isinstance(got, ReadFailure):
        yield got
        return
    resp, data = got
    kind = _kind(resp, data)
    if entry is None and kind in ("feed", "sitemap"):
        yield from _listing(url, fetcher, data, kind, since)
    elif entry is None and kind == "html" and _FEEDISH.search(urlsplit(url).path):
        yield ReadFailure(url, "is an HTML page, not an RSS/Atom feed or sitemap (give the address of the "
                               "feed itself, e.g. …/rss/tin-moi-nhat.rss)")
    elif kind in ("pdf", "docx"):
        yield from _document(url, kind, data, fetcher.settings)
    elif kind == "html":
        yield _page(url, resp, data, entry)
    else:
        what = "an article page" if entry is not None else "an article page, feed or sitemap"
        yield ReadFailure(url, f"not {what}: the server sent {resp.content_type or 'an unknown type'}")


def iter_url_items(urls: list[str], fetcher: Fetcher, since: str | None = None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    """Articles from URLs: a page is one article, a feed or sitemap one per listed link."""
    for url in urls:
        yield from _read_url(url, fetcher, since)


def fetch_listing(url: str, fetcher: Fetcher) -> list[Entry] | str:
    """The entries of a feed or sitemap at `url` (newest first); "page" when it is an article
    page or document; else the reason it cannot be read (one line)."""
    got = _fetch(url, fetcher)
    if isinstance(got, ReadFailure):
        return got.reason
    resp, data = got
    kind = _kind(resp, data)
    if kind not in ("feed", "sitemap"):
        if kind == "html" and _FEEDISH.search(urlsplit(url).path):
            return "is an HTML page, not an RSS/Atom feed or sitemap"
        return "page" if kind in ("html", "pdf", "docx") else f"not a page, feed or sitemap ({resp.content_type})"
    try:
        return _entries(url, fetcher, data, kind)
    except (FetchError, NotAListing) as e:
        return str(e)
