r"""Markdown files, lightly: the words are kept, the syntax dropped; the first "# " heading is the
title and a YAML front matter's simple "key: value" pairs become fields.

    >>> from ingest.readers.markdown import markdown_to_text
    >>> markdown_to_text("# Tin mới\n\nMột **câu** có [liên kết](http://x).")
    ('Tin mới\n\nMột câu có liên kết.', {'title': 'Tin mới'})
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from ingest.readers.files import load_text
from ingest.readers.items import ARTICLE_FIELDS, RawItem, ReadFailure, ReadOptions

__all__ = ["markdown_to_text", "read_markdown"]

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
                if sep and k in ARTICLE_FIELDS and v.strip():
                    fields[k] = v.strip().strip("\"'")
            text = text[end + 4:]
    for rx, rep in _MD_RULES:
        text = rx.sub(rep, text)
    return text, fields


def read_markdown(path: Path, doc_id: str, opts: ReadOptions) -> Iterator[RawItem | ReadFailure]:
    """One article from a Markdown file."""
    text = load_text(path, opts.max_bytes)
    if isinstance(text, ReadFailure):
        yield text
        return
    text, fields = markdown_to_text(text)
    if not text.strip():
        yield ReadFailure(str(path), "empty file (only Markdown markup)")
        return
    yield RawItem(doc_id=doc_id, source=str(path), kind="md", text=text, fields=fields)
