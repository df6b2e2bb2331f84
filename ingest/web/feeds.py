"""RSS/Atom feeds (feedparser) and sitemaps (lxml, no entities, no network): the article links
they list, with the title and date they give, newest first.

    >>> from ingest.web.feeds import parse_feed, parse_sitemap
    >>> rss = '''<rss version="2.0"><channel><title>Tin</title><item><title>Bài một</title>
    ... <link>https://bao.vn/bai-mot.html</link><pubDate>Tue, 02 Jul 2024 08:30:00 +0700</pubDate></item>
    ... </channel></rss>'''.encode()
    >>> [(e.url, e.title, e.date) for e in parse_feed(rss, "https://bao.vn/rss").entries]
    [('https://bao.vn/bai-mot.html', 'Bài một', '2024-07-02T08:30')]
    >>> sm = b'''<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    ... <url><loc>https://bao.vn/a.html</loc><lastmod>2024-07-01</lastmod></url></urlset>'''
    >>> [(e.url, e.date) for e in parse_sitemap(sm, "https://bao.vn/sitemap.xml").entries]
    [('https://bao.vn/a.html', '2024-07-01')]
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ingest.dates import parse_date

__all__ = ["Entry", "Listing", "parse_feed", "parse_sitemap", "sniff", "NotAListing"]

_ROOT_RE = re.compile(rb"<(?!\?|!)([A-Za-z][\w.-]*:)?(rss|feed|RDF|urlset|sitemapindex|html)\b", re.IGNORECASE)


class NotAListing(ValueError):
    """Bytes that are no feed or sitemap; the message says what they are instead."""


@dataclass
class Entry:
    url: str
    title: str | None = None
    date: str | None = None  # ISO, Vietnam time


@dataclass
class Listing:
    kind: str  # "feed" | "sitemap" | "sitemapindex"
    entries: list[Entry] = field(default_factory=list)  # articles, or child sitemaps for an index
    title: str | None = None


def sniff(data: bytes) -> str | None:
    """'feed', 'sitemap', 'html' or None, from the document's first element."""
    m = _ROOT_RE.search(data[:4096])
    if m is None:
        return None
    root = m.group(2).decode("ascii").lower()
    return {"rss": "feed", "feed": "feed", "rdf": "feed", "urlset": "sitemap", "sitemapindex": "sitemap",
            "html": "html"}[root]


def _when(entry) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:  # feedparser gives UTC struct_time
            return parse_date(calendar.timegm(t))
    return None


def parse_feed(data: bytes, base_url: str) -> Listing:
    import feedparser

    parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    if not parsed.get("version"):
        what = "an HTML page" if sniff(data) == "html" else "not an RSS/Atom feed"
        raise NotAListing(f"{what} (expected an RSS or Atom feed)")
    entries = []
    for e in parsed.entries:
        link = e.get("link") or next((ln.get("href") for ln in e.get("links", []) if ln.get("href")), None)
        if not link:
            continue
        title = " ".join((e.get("title") or "").split()) or None
        entries.append(Entry(url=urljoin(base_url, link.strip()), title=title, date=_when(e)))
    return Listing(kind="feed", entries=_newest_first(entries), title=parsed.feed.get("title"))


def parse_sitemap(data: bytes, base_url: str) -> Listing:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise NotAListing(f"not a valid sitemap ({e})") from None
    kind = etree.QName(root).localname.lower()
    if kind not in ("urlset", "sitemapindex"):
        raise NotAListing(f"not a sitemap (root element <{etree.QName(root).localname}>)")
    entries = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        vals = {etree.QName(c).localname.lower(): (c.text or "").strip()
                for c in node.iter() if isinstance(c.tag, str)}
        if not vals.get("loc"):
            continue
        date = vals.get("publication_date") or vals.get("lastmod")
        entries.append(Entry(url=urljoin(base_url, vals["loc"]), title=vals.get("title") or None,
                             date=parse_date(date) if date else None))
    return Listing(kind="sitemap" if kind == "urlset" else "sitemapindex", entries=_newest_first(entries))


def _newest_first(entries: list[Entry]) -> list[Entry]:
    """Dated entries newest first, undated ones after them in their own order (deduplicated)."""
    seen: set[str] = set()
    unique = [e for e in entries if not (e.url in seen or seen.add(e.url))]
    dated = sorted((e for e in unique if e.date), key=lambda e: e.date or "", reverse=True)
    return dated + [e for e in unique if not e.date]
