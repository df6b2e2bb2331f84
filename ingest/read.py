"""Read articles from files and folders: .txt, .md, .html/.htm, .jsonl, .jsonl.gz.

``iter_items(paths)`` yields one ``RawItem`` per article (a text/markdown/HTML file, or one
JSONL line) or a ``ReadFailure`` naming the problem in a plain sentence; one bad file or line
never stops the others. Text is decoded strictly (UTF-8, UTF-16/32 with BOM, UTF-16 without
BOM, or Windows-1258 when the result really reads as Vietnamese) and always returned NFC with
"\\n" line ends; nothing is guessed blindly and binary files are refused.
"""
from __future__ import annotations

import gzip
import html
import json
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

__all__ = [
    "RawItem",
    "ReadFailure",
    "DecodeError",
    "iter_items",
    "decode_bytes",
    "html_to_text",
    "SUPPORTED",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # HOIDAP_MAX_FILE_MB=20; MB here means MiB, like the settings
SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz")
JSONL_FIELDS = ("id", "title", "url", "date", "author", "source", "category")


@dataclass
class RawItem:
    doc_id: str
    source: str  # file path, or "path#L12" for a JSONL line
    kind: str  # "txt" | "md" | "html" | "jsonl"
    text: str  # decoded plain text, NFC, "\n" line ends
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadFailure:
    source: str
    reason: str


class DecodeError(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------------
# decoding

_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)
# C0 controls that never appear in text (tab, LF, VT, FF, CR and ESC are tolerated)
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_VN_LETTERS = set(
    "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    "bcdfghjklmnpqrstvwxz"
)
_VN_ONLY = set("ăằắẳẵặầấẩẫậđềếểễệỉĩịỏọồốổỗộơờớởỡợủũụưừứửữựỳỷỹỵảạẻẽẹằ")


def _controls_ratio(text: str) -> float:
    if not text:
        return 0.0
    return len(_BAD_CONTROLS.findall(text)) / len(text)


# --------------------------------------------------------------------------------------------
# legacy Vietnamese encodings of the 1990s-2000s (TCVN3/ABC fonts, VNI fonts)

# TCVN 5712:1993 bytes 0x80-0xFF (agrees with glibc's TCVN5712-1). Files typed with the ABC
# ".Vn" fonts use the lowercase slots; uppercase text typed with the "H" fonts comes out in
# lower case (the encoding itself does not say), so it is converted as lowercase.
_TCVN3_HIGH = ("\xc0\u1ea2\xc3\xc1\u1ea0\u1eb6\u1eac\xc8\u1eba\u1ebc\xc9\u1eb8\u1ec6\xcc\u1ec8\u0128"
               "\xcd\u1eca\xd2\u1ece\xd5\xd3\u1ecc\u1ed8\u1edc\u1ede\u1ee0\u1eda\u1ee2\xd9\u1ee6\u0168"
               "\xa0\u0102\xc2\xca\xd4\u01a0\u01af\u0110\u0103\xe2\xea\xf4\u01a1\u01b0\u0111\u1eb0"
               "\u0300\u0309\u0303\u0301\u0323\xe0\u1ea3\xe3\xe1\u1ea1\u1eb2\u1eb1\u1eb3\u1eb5\u1eaf\u1eb4"
               "\u1eae\u1ea6\u1ea8\u1eaa\u1ea4\u1ec0\u1eb7\u1ea7\u1ea9\u1eab\u1ea5\u1ead\xe8\u1ec2\u1ebb\u1ebd"
               "\xe9\u1eb9\u1ec1\u1ec3\u1ec5\u1ebf\u1ec7\xec\u1ec9\u1ec4\u1ebe\u1ed2\u0129\xed\u1ecb\xf2"
               "\u1ed4\u1ecf\xf5\xf3\u1ecd\u1ed3\u1ed5\u1ed7\u1ed1\u1ed9\u1edd\u1edf\u1ee1\u1edb\u1ee3\xf9"
               "\u1ed6\u1ee7\u0169\xfa\u1ee5\u1eeb\u1eed\u1eef\u1ee9\u1ef1\u1ef3\u1ef7\u1ef9\xfd\u1ef5\u1ed0")
assert len(_TCVN3_HIGH) == 128
_TCVN3_TABLE = {0x80 + i: c for i, c in enumerate(_TCVN3_HIGH)}

# VNI-Windows fonts: a base letter followed by a mark glyph, stored as Windows-1252 bytes.
_T = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323", "": ""}
_VNI_TONE = {"ù": "s", "ø": "f", "û": "r", "õ": "x", "ï": "j"}  # after a e o u y ơ ư
_VNI_BREVE = {"ê": "", "é": "s", "è": "f", "ú": "r", "ü": "x", "ë": "j"}  # after a: ă + tone
_VNI_CIRC = {"â": "", "á": "s", "à": "f", "å": "r", "ã": "x", "ä": "j"}  # after a e o: â ê ô + tone
_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _upper_too(d: dict[str, str]) -> str:
    return "".join(sorted(set(d) | {k.upper() for k in d if k}))


_VNI_RE = re.compile(
    f"([aA])([{_upper_too(_VNI_BREVE)}])"
    f"|([aAeEoO])([{_upper_too(_VNI_CIRC)}])"
    f"|([aAeEoOuUyYôÔöÖ])([{_upper_too(_VNI_TONE)}])"
    f"|([{_upper_too(_VNI_SINGLE)}])"
)


def _vni_sub(m: re.Match) -> str:
    def out(base: str, shape: str, tone_key: str) -> str:
        return unicodedata.normalize("NFC", base + shape + _T[tone_key])

    if m.group(1):
        return out(m.group(1), "\u0306", _VNI_BREVE[m.group(2).lower()])
    if m.group(3):
        return out(m.group(3), "\u0302", _VNI_CIRC[m.group(4).lower()])
    if m.group(5):
        base = m.group(5)
        shape = ""
        if base.lower() in "ôö":  # VNI's "ô" is ơ and "ö" is ư
            base, shape = ("o" if base.lower() == "ô" else "u"), "\u031b"
            base = base.upper() if m.group(5).isupper() else base
        return out(base, shape, _VNI_TONE[m.group(6).lower()])
    ch = m.group(7)
    vn = _VNI_SINGLE[ch.lower()]
    return vn.upper() if ch.isupper() else vn


def _decode_vni(data: bytes) -> str | None:
    try:
        raw = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return _VNI_RE.sub(_vni_sub, raw)


def _decode_tcvn3(data: bytes) -> str | None:
    text = data.decode("latin-1").translate(_TCVN3_TABLE)
    return unicodedata.normalize("NFC", text)  # 0xB0-0xB4 are combining tone marks


def _decode_cp1258(data: bytes) -> str | None:
    try:
        return unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return None


_WORD_EDGE = re.compile(r"^\W+|\W+$")


def vietnamese_confidence(text: str) -> tuple[float, int]:
    """(share of words that are well-formed Vietnamese syllables, number of words counted).

    Words are whitespace-separated runs with punctuation trimmed; numbers are not counted.
    A wrong legacy table leaves stray symbols and impossible letter sequences inside words,
    so the share of a wrong decoding is low; a right one is near 1 (foreign names aside)."""
    from rag.vntext import is_syllable

    n = ok = 0
    for tok in text.split():
        w = _WORD_EDGE.sub("", tok)
        if not w or any(c.isdigit() for c in w):
            continue
        n += 1
        ok += is_syllable(w)
    return (ok / n if n else 0.0), n


LEGACY_MIN_WORDS = 8
LEGACY_MIN_SHARE = 0.85
LEGACY_MIN_LEAD = 0.15  # over the next best reading: two plausible decodings = not confident


def detect_legacy(data: bytes) -> tuple[str, str] | None:
    """(encoding name, text) for bytes that are confidently Windows-1258, TCVN3 or VNI
    Vietnamese, else None. Every table is tried; the best must read as Vietnamese (share of
    well-formed syllables >= 0.85 over >= 8 words, some with diacritics) and clearly beat the
    others. A guess below that is refused rather than stored as mojibake."""
    scored = []
    for name, fn in (("Windows-1258", _decode_cp1258), ("TCVN3", _decode_tcvn3), ("VNI", _decode_vni)):
        text = fn(data)
        if text is None or _controls_ratio(text) > 0.01:
            continue
        if any(unicodedata.combining(c) for c in text):  # a tone mark NFC could not attach
            share = 0.0
        else:
            share, n = vietnamese_confidence(text)
            if n < LEGACY_MIN_WORDS or not any(c in _VN_ONLY for c in text.lower()):
                share = 0.0
        scored.append((share, name, text))
    scored.sort(key=lambda x: -x[0])
    if not scored or scored[0][0] < LEGACY_MIN_SHARE:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < LEGACY_MIN_LEAD:
        return None
    return scored[0][1], scored[0][2]


def _finish(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)


def _utf16_without_bom(data: bytes) -> str | None:
    """Endianness from where the NUL bytes sit (ASCII letters and spaces have a NUL high byte)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    ne, no = even.count(0) / len(even), odd.count(0) / len(odd)
    if no >= 0.3 and ne <= 0.05:
        codec = "utf-16-le"
    elif ne >= 0.3 and no <= 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    if _controls_ratio(text) > 0.001 or any(0xE000 <= ord(c) <= 0xF8FF for c in text):
        return None
    return text


def decode_bytes(data: bytes, source: str = "") -> str:
    """Bytes -> NFC text, or raise ``DecodeError(reason)`` with a human sentence.

    Order: BOM (UTF-8, UTF-16/32 LE/BE); binary refusal (known magic numbers, NUL bytes unless
    the NUL pattern says UTF-16 without BOM); strict UTF-8; Windows-1258 only when the result
    reads as Vietnamese (cp1258 keeps tones as combining marks, hence the NFC).
    """
    if not data:
        raise DecodeError("empty file (0 bytes)")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return _finish(data[len(bom):].decode(codec))
            except UnicodeDecodeError as e:
                raise DecodeError(f"cannot decode: starts with a {name} byte-order mark but is not "
                                  f"valid {name} (byte {e.start + len(bom)})") from None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DecodeError(f"binary file ({what})")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return _finish(text)
        raise DecodeError("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8")
        bad = None
    except UnicodeDecodeError as e:
        text, bad = None, e
    if text is not None:
        if _controls_ratio(text) > 0.01:
            raise DecodeError("binary file (control characters)")
        return _finish(text)
    if _controls_ratio(data.decode("latin-1")) > 0.01:
        raise DecodeError("binary file (control characters)")
    if bad is not None and bad.end == len(data) and len(data) - bad.start < 4:
        try:  # valid UTF-8 up to a character cut off at the end: a truncated file, not a legacy one
            data[:bad.start].decode("utf-8")
            raise DecodeError(f"truncated file: it ends in the middle of a UTF-8 character "
                              f"(byte {bad.start} of {len(data)}); the article would be incomplete")
        except UnicodeDecodeError:
            pass
    legacy = detect_legacy(data)
    if legacy is not None:
        return _finish(legacy[1])
    hint = ""
    try:  # only to make the message more useful; never used to decode
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding not in ("utf_8", "cp1258"):
            hint = f" (it looks like {best.encoding})"
    except Exception:  # pragma: no cover - optional dependency trouble
        pass
    where = f" (invalid byte 0x{data[bad.start]:02x} at {bad.start})" if bad is not None else ""
    raise DecodeError("cannot decode: not UTF-8/UTF-16/Windows-1258/TCVN3/VNI" + where + hint)


# --------------------------------------------------------------------------------------------
# HTML

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


def _decode_html(data: bytes, source: str) -> str:
    try:
        return decode_bytes(data, source)
    except DecodeError as err:
        m = _META_CHARSET.search(data[:4096])
        if m is None or b"\x00" in data:
            raise
        codec = m.group(1).decode("ascii").lower()
        try:
            return _finish(data.decode(codec))
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


# --------------------------------------------------------------------------------------------
# Markdown (light: keep the words, drop the syntax)

_MD_RULES = [
    (re.compile(r"^```.*?$", re.MULTILINE), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*(.*?)[ \t]*#*[ \t]*$", re.MULTILINE), r"\1"),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE), ""),
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"<[^>\n]+>"), ""),
]


def markdown_to_text(md: str) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {}
    m = re.search(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$", md, re.MULTILINE)
    if m:
        fields["title"] = m.group(1).strip()
    text = md
    if text.startswith("---\n"):  # YAML front matter: keep simple "key: value" pairs as fields
        end = text.find("\n---", 4)
        if end > 0:
            for line in text[4:end].splitlines():
                k, sep, v = line.partition(":")
                k = k.strip().lower()
                if sep and k in JSONL_FIELDS and v.strip():
                    fields[k] = v.strip().strip("\"'")
            text = text[end + 4:]
    for rx, rep in _MD_RULES:
        text = rx.sub(rep, text)
    return text, fields


# --------------------------------------------------------------------------------------------
# files and folders

def _human_size(n: int) -> str:
    mb = n / (1024 * 1024)
    if mb >= 10:
        return f"{mb:.0f} MB"
    if mb >= 1:
        return f"{mb:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _kind_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    suffix = path.suffix.lower()
    return {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}.get(suffix)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[Path | ReadFailure]:
    """Files under `folder`, sorted by name at each level, hidden entries skipped, no loops."""
    try:
        st = folder.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:  # said, not skipped silently: the user expects its articles
        yield ReadFailure(str(folder), f"cannot read folder: {e.strerror or e}".replace("Permission", "permission"))
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        p = Path(e.path)
        try:
            is_dir = e.is_dir()  # follows symlinks; loops are cut by `seen`
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(p, seen)
        else:
            yield p


def _not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file (dangling or looping link, pipe, device…), or None."""
    import errno
    import stat

    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        if path.is_symlink():
            return "broken symbolic link"
        if e.errno == errno.EACCES:
            return "cannot read: permission denied"
        return f"cannot read: {e.strerror or e}"
    if stat.S_ISDIR(st.st_mode):
        return "cannot read: is a folder"
    if not stat.S_ISREG(st.st_mode):
        # opening a named pipe would block until someone writes to it
        kind = ("a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "special")
        return f"not a regular file ({kind})"
    return None


def _read_bytes(path: Path, max_bytes: int) -> bytes | ReadFailure:
    src = str(path)
    try:
        bad = _not_a_file(path)
        if bad:
            return ReadFailure(src, bad)
        size = path.stat().st_size
        if size > max_bytes:
            return ReadFailure(src, f"file is {_human_size(size)}, over the {_human_size(max_bytes)} "
                                    f"limit (HOIDAP_MAX_FILE_MB)")
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            return ReadFailure(src, f"file is over the {_human_size(max_bytes)} limit (HOIDAP_MAX_FILE_MB)")
        return data
    except PermissionError:
        return ReadFailure(src, "cannot read: permission denied")
    except IsADirectoryError:
        return ReadFailure(src, "cannot read: is a folder")
    except OSError as e:
        return ReadFailure(src, f"cannot read: {e.strerror or e}")


def _read_document(path: Path, doc_id: str, kind: str, max_bytes: int) -> RawItem | ReadFailure:
    src = str(path)
    data = _read_bytes(path, max_bytes)
    if isinstance(data, ReadFailure):
        return data
    try:
        text = _decode_html(data, src) if kind == "html" else decode_bytes(data, src)
    except DecodeError as e:
        return ReadFailure(src, e.reason)
    if not text.strip():
        return ReadFailure(src, "empty file (only whitespace)")
    fields: dict[str, Any] = {}
    if kind == "html":
        try:
            text, fields = html_to_text(text)
        except ValueError as e:
            return ReadFailure(src, f"cannot parse HTML: {e}")
        except Exception as e:  # pragma: no cover - parser trouble on exotic input
            return ReadFailure(src, f"cannot parse HTML: {type(e).__name__}: {e}")
        if not text.strip():
            return ReadFailure(src, "no article text found in the HTML page")
    elif kind == "md":
        text, fields = markdown_to_text(text)
        if not text.strip():
            return ReadFailure(src, "empty file (only Markdown markup)")
    return RawItem(doc_id=doc_id, source=src, kind=kind, text=text, fields=fields)


def _iter_jsonl(path: Path, doc_prefix: str, gz: bool, max_bytes: int) -> Iterator[RawItem | ReadFailure]:
    src = str(path)
    try:
        raw = gzip.open(path, "rb") if gz else open(path, "rb")
    except PermissionError:
        yield ReadFailure(src, "cannot read: permission denied")
        return
    except OSError as e:
        yield ReadFailure(src, f"cannot read: {e.strerror or e}")
        return
    n_items = n_bad = 0
    lineno = 0
    with raw as f:
        while True:
            try:
                line = f.readline(max_bytes + 1)
            except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
                where = f"after line {lineno}" if lineno else "at the start"
                what = "not a valid gzip file" if lineno == 0 and isinstance(e, gzip.BadGzipFile) \
                    else f"the file is truncated or corrupt {where}"
                yield ReadFailure(src, f"cannot read: {what} ({e})")
                return
            if not line:
                break
            lineno += 1
            lsrc = f"{src}#L{lineno}"
            if len(line) > max_bytes and not line.endswith(b"\n"):
                while True:  # skip the rest of the over-long line
                    more = f.readline(1024 * 1024)
                    if not more or more.endswith(b"\n"):
                        break
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: record is over the {_human_size(max_bytes)} "
                                        f"limit (HOIDAP_MAX_FILE_MB)")
                continue
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            try:
                s = line.decode("utf-8")
            except UnicodeDecodeError as e:
                if lineno == 1 and b"\x00" in line:
                    yield ReadFailure(src, "JSONL must be UTF-8 (this looks like UTF-16 or binary)")
                    return
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: not valid UTF-8 (byte {e.start})")
                continue
            try:
                rec = json.loads(s)
            except json.JSONDecodeError as e:
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: invalid JSON: {e.msg} (column {e.colno})")
                continue
            if not isinstance(rec, dict):
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: expected a JSON object, got {type(rec).__name__}")
                continue
            if "text" not in rec or rec["text"] is None:
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: missing 'text'")
                continue
            if not isinstance(rec["text"], str):
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: 'text' must be a string, "
                                        f"not {type(rec['text']).__name__}")
                continue
            text = _finish(rec["text"])
            if not text.strip():
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: 'text' is empty")
                continue
            fields: dict[str, Any] = {}
            for k in JSONL_FIELDS:
                v = rec.get(k)
                # a wrong type (object, list, boolean) is dropped; a number becomes its text
                if v is None or isinstance(v, (dict, list, bool)):
                    continue
                fields[k] = unicodedata.normalize("NFC", str(v)).strip()
                if not fields[k]:
                    del fields[k]
            rid = rec.get("id")
            if isinstance(rid, bool) or (rid is not None and not isinstance(rid, (str, int, float))):
                n_bad += 1
                yield ReadFailure(lsrc, f"line {lineno}: 'id' must be a string or a number, "
                                        f"not {type(rid).__name__}")
                continue
            doc_id = str(rid).strip() if rid is not None and str(rid).strip() else f"{doc_prefix}#{lineno}"
            n_items += 1
            yield RawItem(doc_id=doc_id, source=lsrc, kind="jsonl", text=text, fields=fields)
    if n_items == 0 and n_bad == 0:
        yield ReadFailure(src, "empty file (no JSON records)")


def _one_file(path: Path, doc_id: str, max_bytes: int, explicit: bool) -> Iterator[RawItem | ReadFailure]:
    kind = _kind_of(path)
    if kind is None:
        if explicit:
            ext = "".join(path.suffixes[-2:]) if path.suffixes else "(none)"
            yield ReadFailure(str(path), f"unsupported file type '{ext}' (supported: {', '.join(SUPPORTED)})")
        return
    if kind in ("jsonl", "jsonl.gz"):
        try:
            bad = _not_a_file(path)
            if bad:
                yield ReadFailure(str(path), bad)
                return
            if path.stat().st_size == 0:
                yield ReadFailure(str(path), "empty file (0 bytes)")
                return
        except OSError as e:
            yield ReadFailure(str(path), f"cannot read: {e.strerror or e}")
            return
        yield from _iter_jsonl(path, doc_id, kind == "jsonl.gz", max_bytes)
        return
    yield _read_document(path, doc_id, kind, max_bytes)


def iter_items(paths: list[str | Path] | str | Path,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawItem | ReadFailure]:
    """Articles from files and folders (folders recursively, sorted, hidden entries skipped).

    doc_id: for a folder argument the path relative to it with "/" ("sub/a.txt"); for a file
    argument its file name; for a JSONL record its "id" (else "<file doc_id>#<line>").
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            seen: set[tuple[int, int]] = set()
            for f in _walk(p, seen):
                if isinstance(f, ReadFailure):
                    yield f
                    continue
                rel = f.relative_to(p).as_posix()
                yield from _one_file(f, rel, max_bytes, explicit=False)
        elif p.exists() or p.is_symlink():
            yield from _one_file(p, p.name, max_bytes, explicit=True)
        else:
            yield ReadFailure(str(p), "no such file or folder")
