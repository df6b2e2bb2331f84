"""What every reader yields: a ``RawItem`` (one article's text and the fields its format gave)
or a ``ReadFailure`` (which file or line, and why, in a plain sentence).

    >>> from ingest.readers.items import RawItem
    >>> RawItem(doc_id="a.txt", source="/data/a.txt", kind="txt", text="Hòa Bình …").kind
    'txt'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RawItem", "ReadFailure", "ARTICLE_FIELDS"]

# the metadata fields a source may state outright (JSONL keys, Markdown front matter, feeds)
ARTICLE_FIELDS = ("id", "title", "url", "date", "author", "source", "category")


@dataclass
class RawItem:
    doc_id: str
    source: str  # file path, "path#L12" for a JSONL line, or the URL of a fetched page
    kind: str  # "txt" | "md" | "html" | "jsonl" | "docx" | "pdf" | "url"
    text: str  # decoded plain text, NFC, "\n" line ends
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadFailure:
    source: str
    reason: str
