r"""JSON Lines (.jsonl, .jsonl.gz): one article per line, ``{"text": …, "title": …, "url": …}``.

A bad line is reported by its line number and the others are still read; a truncated gzip
stream stops the file with the line it broke after.

    >>> import tempfile
    >>> from ingest.readers.items import ReadOptions
    >>> from ingest.readers.jsonl import read_jsonl
    >>> path = Path(tempfile.mkdtemp()) / "news.jsonl"
    >>> _ = path.write_text('{"id": "a1", "text": "Hòa Bình mưa lớn.", "title": "Mưa"}\nnot json\n')
    >>> [(getattr(x, "doc_id", None), getattr(x, "reason", None)) for x in read_jsonl(path, "news", ReadOptions())]
    [('a1', None), (None, 'line 2: invalid JSON: Expecting value (column 1)')]
"""
from __future__ import annotations

import gzip
import json
import unicodedata
import zlib
from pathlib import Path
from typing import IO, Any, Iterator

from ingest.readers.decode import finish_text
from ingest.readers.files import human_size, not_a_file
from ingest.readers.items import ARTICLE_FIELDS, RawItem, ReadFailure, ReadOptions

__all__ = ["read_jsonl"]


class _Stop(Exception):
    """The rest of the file cannot be read (corrupt gzip, not UTF-8 at all)."""

    def __init__(self, failure: ReadFailure):
        self.failure = failure


def _lines(f: IO[bytes], src: str, max_bytes: int) -> Iterator[tuple[int, bytes | ReadFailure]]:
    """(line number, raw line) pairs; an over-long line is skipped and reported in its place."""
    lineno = 0
    while True:
        try:
            line = f.readline(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
            where = f"after line {lineno}" if lineno else "at the start"
            what = "not a valid gzip file" if lineno == 0 and isinstance(e, gzip.BadGzipFile) \
                else f"the file is truncated or corrupt {where}"
            raise _Stop(ReadFailure(src, f"cannot read: {what} ({e})")) from None
        if not line:
            return
        lineno += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                more = f.readline(1024 * 1024)
                if not more or more.endswith(b"\n"):
                    break
            yield lineno, ReadFailure(f"{src}#L{lineno}", f"line {lineno}: record is over the "
                                                          f"{human_size(max_bytes)} limit (HOIDAP_MAX_FILE_MB)")
            continue
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        yield lineno, line


def _fields(rec: dict) -> dict[str, Any]:
    """The known metadata keys; a wrong type (object, list, boolean) is dropped, a number kept as text."""
    fields: dict[str, Any] = {}
    for k in ARTICLE_FIELDS:
        v = rec.get(k)
        if v is None or isinstance(v, (dict, list, bool)):
            continue
        v = unicodedata.normalize("NFC", str(v)).strip()
        if v:
            fields[k] = v
    return fields


def _parse(line: bytes, lineno: int, src: str) -> dict | str:
    """The line's JSON object, or the reason it is not a usable record."""
    try:
        s = line.decode("utf-8")
    except UnicodeDecodeError as e:
        if lineno == 1 and b"\x00" in line:
            raise _Stop(ReadFailure(src, "JSONL must be UTF-8 (this looks like UTF-16 or binary)")) from None
        return f"line {lineno}: not valid UTF-8 (byte {e.start})"
    try:
        rec = json.loads(s)
    except json.JSONDecodeError as e:
        return f"line {lineno}: invalid JSON: {e.msg} (column {e.colno})"
    if not isinstance(rec, dict):
        return f"line {lineno}: expected a JSON object, got {type(rec).__name__}"
    return rec


def _record(line: bytes, lineno: int, src: str, doc_prefix: str) -> RawItem | ReadFailure:
    lsrc = f"{src}#L{lineno}"
    rec = _parse(line, lineno, src)
    if isinstance(rec, str):
        return ReadFailure(lsrc, rec)
    text = rec.get("text")
    if text is None:
        return ReadFailure(lsrc, f"line {lineno}: missing 'text'")
    if not isinstance(text, str):
        return ReadFailure(lsrc, f"line {lineno}: 'text' must be a string, not {type(text).__name__}")
    text = finish_text(text)
    if not text.strip():
        return ReadFailure(lsrc, f"line {lineno}: 'text' is empty")
    rid = rec.get("id")
    if isinstance(rid, bool) or (rid is not None and not isinstance(rid, (str, int, float))):
        return ReadFailure(lsrc, f"line {lineno}: 'id' must be a string or a number, not {type(rid).__name__}")
    doc_id = str(rid).strip() if rid is not None and str(rid).strip() else f"{doc_prefix}#{lineno}"
    return RawItem(doc_id=doc_id, source=lsrc, kind="jsonl", text=text, fields=_fields(rec))


def _precheck(path: Path) -> ReadFailure | None:
    try:
        bad = not_a_file(path)
        if bad:
            return ReadFailure(str(path), bad)
        if path.stat().st_size == 0:
            return ReadFailure(str(path), "empty file (0 bytes)")
    except OSError as e:
        return ReadFailure(str(path), f"cannot read: {e.strerror or e}")
    return None


def read_jsonl(path: Path, doc_prefix: str, opts: ReadOptions) -> Iterator[RawItem | ReadFailure]:
    """Articles from a .jsonl or .jsonl.gz file; record ids default to "<doc_prefix>#<line>"."""
    src = str(path)
    bad = _precheck(path)
    if bad is not None:
        yield bad
        return
    try:
        raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
    except PermissionError:
        yield ReadFailure(src, "cannot read: permission denied")
        return
    except OSError as e:
        yield ReadFailure(src, f"cannot read: {e.strerror or e}")
        return
    n_seen = 0
    with raw as f:
        try:
            for lineno, line in _lines(f, src, opts.max_bytes):
                if isinstance(line, ReadFailure):
                    n_seen += 1
                    yield line
                elif line.strip():
                    n_seen += 1
                    yield _record(line, lineno, src, doc_prefix)
        except _Stop as stop:
            yield stop.failure
            return
    if n_seen == 0:
        yield ReadFailure(src, "empty file (no JSON records)")
