r"""The hand-written HTML reader: metadata from a page's <meta>/<title>/<h1>/<time>, and its
main text by picking the container (<article>, articleBody, <main>, or the element whose <p>
children hold the most text). ``html.main_text`` uses trafilatura first and falls back to this.

    >>> from ingest.readers.html_picker import html_to_text
    >>> text, fields = html_to_text("<html><head><title>Tin - Báo X</title></head>"
    ...                             "<body><article><p>Câu một.</p><p>Câu hai.</p></article></body></html>")
    >>> text, fields["title"]
    ('Câu một.\n\nCâu hai.', 'Tin')
"""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

__all__ = ["html_to_text", "page_fields", "picked_text", "parse", "html_depth", "flatten_if_deep"]

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "template", "button", "select", "textarea", "input", "object", "embed", "canvas",
              "video", "audio", "map", "dialog", "menu")
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
               "ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "table", "tr",
               "thead", "tbody", "tfoot", "caption", "address", "hr", "td", "th", "center", "details",
               "summary", "fieldset", "body", "html"}
TAG_LIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_SITE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")


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


def flatten_if_deep(doc: str) -> str:
    if html_depth(doc) <= MAX_HTML_DEPTH:
        return doc
    flat = _FLATTEN_RE.sub("\n", doc)
    depth = html_depth(flat)
    if depth > MAX_HTML_DEPTH:
        raise ValueError(f"HTML nested {depth} levels deep (limit {MAX_HTML_DEPTH}): not a normal page")
    return flat


def page_fields(tree) -> dict[str, Any]:
    """What a parsed page (selectolax) states about itself: title, date, url, author, site, section,
    and its description (the lead on most Vietnamese news sites)."""
    fields: dict[str, Any] = {}
    page_title = _meta(tree, "title")
    h1 = _meta(tree, "h1")
    og_title = _meta(tree, 'meta[property="og:title"]', 'meta[name="twitter:title"]',
                     'meta[itemprop="headline"]')
    if og_title or h1 or page_title:
        fields["title"] = og_title or h1 or _SITE_SUFFIX.sub("", page_title or "")
    for key, val in (("html_title", page_title), ("h1", h1)):
        if val:
            fields[key] = val
    found = {
        "date": _meta(tree, 'meta[property="article:published_time"]', 'meta[name="pubdate"]',
                      'meta[name="publishdate"]', 'meta[itemprop="datePublished"]',
                      'meta[name="date"]', 'meta[property="og:published_time"]',
                      'meta[name="dc.date"]', 'meta[name="DC.date.issued"]', "time[datetime]"),
        "url": _meta(tree, 'link[rel="canonical"]', 'meta[property="og:url"]'),
        "author": _meta(tree, 'meta[name="author"]', 'meta[property="article:author"]', 'meta[name="dc.creator"]'),
        "source": _meta(tree, 'meta[property="og:site_name"]', 'meta[name="application-name"]'),
        "category": _meta(tree, 'meta[property="article:section"]'),
        "description": _meta(tree, 'meta[property="og:description"]', 'meta[name="description"]'),
    }
    if found["url"] and not re.match(r"https?://", found["url"]):
        found["url"] = None
    if found["author"] and re.match(r"https?://", found["author"]):
        found["author"] = None
    fields.update({k: v for k, v in found.items() if v})
    return fields


def parse(doc: str):
    """A selectolax tree of `doc` (absurdly deep pages flattened first; ValueError past the limit)."""
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(flatten_if_deep(doc))


def picked_text(tree) -> str:
    """Main text by the container picker (paragraphs separated by blank lines). Changes `tree`."""
    body = tree.body or tree.root
    if body is None:
        return ""
    for tag in _DROP_TAGS:
        for node in body.css(tag):
            node.decompose()
    text = "\n\n".join(_paragraphs(_best_container(body)))
    # never let markup through (e.g. escaped tags in the source that the parser unescaped)
    text = TAG_LIKE.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n\n".join(p.strip() for p in text.split("\n\n") if p.strip())
    return unicodedata.normalize("NFC", text)


def html_to_text(doc: str) -> tuple[str, dict[str, Any]]:
    """Main text of an HTML page by the container picker, and the page's metadata."""
    tree = parse(doc)
    fields = page_fields(tree)
    fields.pop("description", None)
    return picked_text(tree), fields
