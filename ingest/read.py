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


def _looks_vietnamese(text: str) -> bool:
    """Decoded legacy text reads as Vietnamese: Vietnamese letters only, and enough of them."""
    letters = [c.lower() for c in text if c.isalpha()]
    if len(letters) < 8:
        return False
    if any(unicodedata.combining(c) for c in text):  # a tone mark NFC could not attach
        return False
    vn = sum(c in _VN_LETTERS for c in letters)
    only = sum(c in _VN_ONLY for c in letters)
    return vn / len(letters) >= 0.97 and only / len(letters) >= 0.02


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
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _controls_ratio(text) > 0.01:
            raise DecodeError("binary file (control characters)")
        return _finish(text)
    if _controls_ratio(data.decode("latin-1")) > 0.01:
        raise DecodeError("binary file (control characters)")
    try:
        legacy = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        legacy = None
    if legacy is not None and _looks_vietnamese(legacy):
        return _finish(legacy)
    hint = ""
    try:  # only to make the message more useful; never used to decode
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding not in ("utf_8", "cp1258"):
            hint = f" (it looks like {best.encoding})"
    except Exception:  # pragma: no cover - optional dependency trouble
        pass
    raise DecodeError("cannot decode: not UTF-8/UTF-16/Windows-1258" + hint)


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

    def walk(n):
        for child in n.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                buf.append(child.text(deep=False) or "")
            elif tag == "-comment" or tag in _DROP_TAGS:
                continue
            elif tag == "br":
                buf.append("\n")
            elif tag in _BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(node)
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


def html_to_text(doc: str) -> tuple[str, dict[str, Any]]:
    """Main text of an HTML page (paragraphs separated by blank lines) and metadata hints."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(doc)
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


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[Path]:
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
    except OSError:
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


def _read_bytes(path: Path, max_bytes: int) -> bytes | ReadFailure:
    src = str(path)
    try:
        if path.is_symlink() and not path.exists():
            return ReadFailure(src, "broken symbolic link")
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
                if v is None or isinstance(v, (dict, list)):
                    continue
                fields[k] = unicodedata.normalize("NFC", str(v)).strip() if isinstance(v, str) else v
            rid = rec.get("id")
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
            if not path.exists():
                yield ReadFailure(str(path), "broken symbolic link" if path.is_symlink() else "no such file")
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
                rel = f.relative_to(p).as_posix()
                yield from _one_file(f, rel, max_bytes, explicit=False)
        elif p.exists() or p.is_symlink():
            yield from _one_file(p, p.name, max_bytes, explicit=True)
        else:
            yield ReadFailure(str(p), "no such file or folder")
