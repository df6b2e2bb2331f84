r"""HTML pages: the article's main text (paragraphs) and the metadata the page states
(title, date, canonical URL, author, site, section).

    >>> from ingest.readers.html import html_to_text
    >>> text, fields = html_to_text("<html><head><title>Tin - Báo X</title></head>"
    ...                             "<body><article><p>Câu một.</p><p>Câu hai.</p></article></body></html>")
    >>> text, fields["title"]
    ('Câu một.\n\nCâu hai.', 'Tin')
"""
from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator

from ingest.readers.decode import DecodeError, decode_bytes, finish_text
from ingest.readers.files import load_text
from ingest.readers.items import RawItem, ReadFailure

__all__ = ["html_to_text", "html_depth", "read_html", "decode_html"]

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "template", "button", "select", "textarea", "input", "object", "embed", "canvas",
              "video", "audio", "map", "dialog", "menu")
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
               "ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "table", "tr",
               "thead", "tbody", "tfoot", "caption", "address", "hr", "td", "th", "center", "details",
               "summary", "fieldset", "body", "html"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_TAG_LIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_SITE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")


def decode_html(data: bytes, source: str) -> str:
    try:
        return decode_bytes(data, source)
    except DecodeError as err:
        m = _META_CHARSET.search(data[:4096])
        if m is None or b"\x00" in data:
            raise
        codec = m.group(1).decode("ascii").lower()
        try:
            return finish_text(data.decode(codec))
        except (LookupError, UnicodeDecodeError):
            raise err from None


def _meta(tree, *selectors: str) -> str | None:
    for sel in selectors:
        node = tree.css_first(sel)
        if node is None:
            continue
        val = node.attributes.get("content") or node.attributes.get("href") or \
            node.attributes.get("datetime") or node.text(deep=True)
        if val and val.strip():
            return re.sub(r"\s+", " ", html.unescape(val)).strip()
    return None


def _paragraphs(node) -> list[str]:
    """Text of `node` as paragraphs: block elements and <br> break, inline text joins."""
    paras: list[str] = []
    buf: list[str] = []

    def flush():
        s = re.sub(r"[ \t\r\f\v\u00a0]+", " ", "".join(buf)).strip()
        for line in s.split("\n"):
            line = line.strip()
            if line:
                paras.append(line)
        buf.clear()

    # an explicit stack, not recursion: a page nested 100,000 elements deep must not raise
    # RecursionError (lexbor itself parses any depth)
    stack: list[tuple[Any, bool]] = [(node.iter(include_text=True), False)]
    while stack:
        it, block = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            if block:
                flush()
            continue
        tag = child.tag
        if tag == "-text":
            buf.append(child.text(deep=False) or "")
        elif tag == "-comment" or tag in _DROP_TAGS:
            continue
        elif tag == "br":
            buf.append("\n")
        elif tag in _BLOCK_TAGS:
            flush()
            stack.append((child.iter(include_text=True), True))
        else:
            stack.append((child.iter(include_text=True), False))
    flush()
    return paras


def _text_len(node) -> int:
    return len(re.sub(r"\s+", "", node.text(deep=True) or ""))


def _best_container(body):
    """<article>/articleBody with the most text, else the element whose <p> children hold most."""
    best, best_len = None, 0
    for sel in ("article", "[itemprop=articleBody]", "main", "[role=main]"):
        for node in body.css(sel):
            n = _text_len(node)
            if n > best_len:
                best, best_len = node, n
        if best is not None and best_len >= 200:
            return best
    scores: dict[int, tuple[int, Any]] = {}
    for p in body.css("p"):
        parent = p.parent
        if parent is None:
            continue
        key = parent.mem_id
        prev = scores.get(key, (0, parent))[0]
        scores[key] = (prev + _text_len(p), parent)
    if scores:
        n, node = max(scores.values(), key=lambda x: x[0])
        if n >= max(200, best_len):
            return node
    return best if best is not None and best_len >= 200 else body


# lexbor's tree building is quadratic in nesting depth (100,000 nested <div> took 41 s), so an
# absurdly deep page is flattened first: generic containers become line breaks, text is kept.
MAX_HTML_DEPTH = 2000
_VOID_OR_AUTOCLOSE = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                      "track", "wbr", "p", "li", "td", "th", "tr", "option", "dt", "dd", "thead", "tbody",
                      "tfoot", "param", "keygen", "command", "basefont", "frame", "isindex"}
_ANY_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^>]*?(/?)>")
_FLATTEN_RE = re.compile(r"</?(?:div|span|section|article|main|font|blockquote|center|figure|b|i|em|strong|"
                         r"u|s|small|big|a|abbr|cite|mark|q|code|var|kbd|samp|time|address|details|summary|"
                         r"ul|ol|dl|table|caption|fieldset|legend|label|picture)\b[^>]*>", re.IGNORECASE)


def html_depth(doc: str) -> int:
    """Deepest nesting of elements that stay open until closed (a linear scan, no parser)."""
    depth = best = 0
    for m in _ANY_TAG_RE.finditer(doc):
        if m.group(3) or m.group(2).lower() in _VOID_OR_AUTOCLOSE:
            continue
        depth = max(depth - 1, 0) if m.group(1) else depth + 1
        best = max(best, depth)
    return best


def _flatten_if_deep(doc: str) -> str:
    if html_depth(doc) <= MAX_HTML_DEPTH:
        return doc
    flat = _FLATTEN_RE.sub("\n", doc)
    depth = html_depth(flat)
    if depth > MAX_HTML_DEPTH:
        raise ValueError(f"HTML nested {depth} levels deep (limit {MAX_HTML_DEPTH}): not a normal page")
    return flat


def html_to_text(doc: str) -> tuple[str, dict[str, Any]]:
    """Main text of an HTML page (paragraphs separated by blank lines) and metadata hints."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_flatten_if_deep(doc))
    fields: dict[str, Any] = {}
    page_title = _meta(tree, "title")
    h1 = _meta(tree, "h1")
    og_title = _meta(tree, 'meta[property="og:title"]', 'meta[name="twitter:title"]',
                     'meta[itemprop="headline"]')
    if og_title or h1 or page_title:
        title = og_title or h1 or _SITE_SUFFIX.sub("", page_title or "")
        fields["title"] = title
    for key, val in (("html_title", page_title), ("h1", h1)):
        if val:
            fields[key] = val
    date = _meta(tree, 'meta[property="article:published_time"]', 'meta[name="pubdate"]',
                 'meta[name="publishdate"]', 'meta[itemprop="datePublished"]',
                 'meta[name="date"]', 'meta[property="og:published_time"]',
                 'meta[name="dc.date"]', 'meta[name="DC.date.issued"]', "time[datetime]")
    if date:
        fields["date"] = date
    url = _meta(tree, 'link[rel="canonical"]', 'meta[property="og:url"]')
    if url and re.match(r"https?://", url):
        fields["url"] = url
    author = _meta(tree, 'meta[name="author"]', 'meta[property="article:author"]',
                   'meta[name="dc.creator"]')
    if author and not re.match(r"https?://", author):
        fields["author"] = author
    site = _meta(tree, 'meta[property="og:site_name"]', 'meta[name="application-name"]')
    if site:
        fields["source"] = site
    section = _meta(tree, 'meta[property="article:section"]')
    if section:
        fields["category"] = section
    body = tree.body or tree.root
    if body is None:
        return "", fields
    for tag in _DROP_TAGS:
        for node in body.css(tag):
            node.decompose()
    container = _best_container(body)
    paras = _paragraphs(container)
    text = "\n\n".join(paras)
    # never let markup through (e.g. escaped tags in the source that the parser unescaped)
    text = _TAG_LIKE.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n\n".join(p.strip() for p in text.split("\n\n") if p.strip())
    return unicodedata.normalize("NFC", text), fields


def read_html(path: Path, doc_id: str, max_bytes: int) -> Iterator[RawItem | ReadFailure]:
    """One article from a saved HTML page."""
    src = str(path)
    text = load_text(path, max_bytes, decode=decode_html)
    if isinstance(text, ReadFailure):
        yield text
        return
    try:
        text, fields = html_to_text(text)
    except ValueError as e:
        yield ReadFailure(src, f"cannot parse HTML: {e}")
        return
    except Exception as e:  # pragma: no cover - parser trouble on exotic input
        yield ReadFailure(src, f"cannot parse HTML: {type(e).__name__}: {e}")
        return
    if not text.strip():
        yield ReadFailure(src, "no article text found in the HTML page")
        return
    yield RawItem(doc_id=doc_id, source=src, kind="html", text=text, fields=fields)
