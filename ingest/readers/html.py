r"""HTML pages (saved files and fetched pages): the article's main text and the page's metadata.

Main text is trafilatura's (a maintained boilerplate remover), given a page whose photo
captions were taken out first, plus the lead: Vietnamese news sites print the lead ("sapo")
above the body container, where trafilatura does not look, and state it again as the page's
description; when that description is shown on the page and missing from the text, it is put
first. When trafilatura finds nothing, the hand-written container picker (``html_picker``)
answers. Dates: the page's meta tags (with the time), else htmldate's find (``date_found``,
used by ``metadata`` only when the text has no date line). The measurement behind
this choice is in docs/ingest.md (bench/main_text.py).

    >>> from ingest.readers.html import main_text
    >>> lead = "Tóm tắt của bài viết, in phía trên phần thân bài."
    >>> page = (f'<html><head><meta name="description" content="{lead}"></head><body><nav>Trang chủ</nav>'
    ...         f'<p class="sapo">{lead}</p><article><p>Câu thứ nhất của bài viết khá dài để được giữ lại.</p>'
    ...         '<figure><img src="a.jpg"><figcaption>Ảnh minh họa</figcaption></figure>'
    ...         '<p>Câu thứ hai của bài viết cũng đủ dài để được giữ lại.</p></article></body></html>')
    >>> print(main_text(page)[0])
    Tóm tắt của bài viết, in phía trên phần thân bài.
    <BLANKLINE>
    Câu thứ nhất của bài viết khá dài để được giữ lại.
    <BLANKLINE>
    Câu thứ hai của bài viết cũng đủ dài để được giữ lại.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator

from ingest.readers.decode import DecodeError, decode_bytes, finish_text
from ingest.readers.files import load_text
from ingest.readers.html_picker import TAG_LIKE, flatten_if_deep, html_to_text, page_fields, parse, picked_text
from ingest.readers.items import RawItem, ReadFailure, ReadOptions

__all__ = ["main_text", "html_to_text", "read_html", "decode_html"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
# never article text; a <form> only when small (ASP.NET sites wrap the whole page in one)
_JUNK_XPATH = ("//script | //style | //noscript | //iframe | //svg | //template | //button | //select | //textarea"
               " | //input | //object | //embed | //canvas | //video | //audio | //map | //dialog | //menu"
               " | //form[string-length(normalize-space(.)) < 200]")
_CAPTION_XPATH = ("//figcaption | //*[contains(translate(@class, 'CAPTION', 'caption'), 'caption')]"
                  " | //table[.//img][string-length(normalize-space(.)) < 400]")


def decode_html(data: bytes, source: str) -> str:
    """Bytes of a page to text: strictly as any file, else by the page's own <meta charset>."""
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


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split()).casefold()


def _drop_captions(tree) -> None:
    """Photo captions (figcaption, *caption* classes, picture tables, and an all-italic line right
    under an image-only paragraph, as old CMSs write them): not the article's sentences."""
    for el in tree.xpath(_CAPTION_XPATH):
        if el.getparent() is not None:
            el.drop_tree()
    for p in tree.iter("p"):
        nxt = p.getnext()
        if p.find(".//img") is None or p.text_content().strip() or nxt is None or nxt.tag != "p":
            continue
        italic = "".join(e.text_content() for e in nxt if e.tag in ("em", "i"))
        if italic.strip() and _norm(italic) == _norm(nxt.text_content()):
            nxt.drop_tree()


def _trafilatura_text(doc: str, url: str | None) -> str:
    import lxml.html
    import trafilatura

    try:
        tree = lxml.html.fromstring(doc)
    except Exception:  # lxml refuses empty or odd documents: nothing for trafilatura then
        return ""
    for el in tree.xpath(_JUNK_XPATH):
        if el.getparent() is not None:
            el.drop_tree()
    _drop_captions(tree)
    out = trafilatura.extract(tree, url=url, include_comments=False, include_tables=True, include_images=False,
                              include_links=False, deduplicate=False)
    # never let markup through (escaped tags in the source that the parser unescaped)
    out = TAG_LIKE.sub("", out or "")
    return "\n\n".join(" ".join(p.split()) for p in out.split("\n") if p.strip())


def _lead(tree, description: str | None) -> str | None:
    """The page's description as shown on the page (the lead above the body), if it is shown."""
    if not description or len(description) < 40:
        return None
    want = _norm(description)
    body = tree.body
    for node in body.css("p, h2, div, span, strong, b") if body is not None else []:
        shown = node.text(deep=True) or ""
        if want in _norm(shown) and len(shown) <= 1.3 * len(description) + 30:
            return " ".join(shown.split())
    return None


def _lead_first(text: str, lead: str | None) -> str:
    """The lead as the first paragraph (added when missing, moved up when found lower)."""
    if not lead:
        return text
    key = _norm(lead)
    paras = [p for p in text.split("\n\n") if _norm(p) != key and not (len(p) < 1.3 * len(lead) and key in _norm(p))]
    return "\n\n".join([lead] + paras)


def main_text(doc: str, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """(main text with paragraphs separated by blank lines, page metadata) of an HTML page."""
    doc = flatten_if_deep(doc)
    tree = parse(doc)
    fields = page_fields(tree)
    description = fields.pop("description", None)
    text = _trafilatura_text(doc, url)
    if len(text) < 100:
        text = picked_text(parse(doc))
    text = _lead_first(text, _lead(tree, description))
    if "date" not in fields:
        from htmldate import find_date

        try:
            found = find_date(doc, url=url, original_date=True, extensive_search=False)
        except Exception:  # htmldate trouble on an odd page: the date lines in the text remain
            found = None
        if found:  # weaker than a date line in the text (which has the time): metadata uses it last
            fields["date_found"] = found
    return unicodedata.normalize("NFC", text), fields


def read_html(path: Path, doc_id: str, opts: ReadOptions) -> Iterator[RawItem | ReadFailure]:
    """One article from a saved HTML page."""
    src = str(path)
    text = load_text(path, opts.max_bytes, decode=decode_html)
    if isinstance(text, ReadFailure):
        yield text
        return
    yield html_item(text, doc_id, src)


def html_item(doc: str, doc_id: str, source: str, url: str | None = None, kind: str = "html") -> RawItem | ReadFailure:
    """An article from a decoded page, or why there is none."""
    try:
        text, fields = main_text(doc, url)
    except ValueError as e:
        return ReadFailure(source, f"cannot parse HTML: {e}")
    except Exception as e:  # pragma: no cover - parser trouble on exotic input
        return ReadFailure(source, f"cannot parse HTML: {type(e).__name__}: {e}")
    if not text.strip():
        return ReadFailure(source, "no article text found in the HTML page")
    return RawItem(doc_id=doc_id, source=source, kind=kind, text=text, fields=fields)
