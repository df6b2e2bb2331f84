"""What every reader yields: a ``RawItem`` (one article's text and the fields its format gave)
or a ``ReadFailure`` (which file or line, and why, in a plain sentence).

    >>> from ingest.readers.items import RawItem
    >>> RawItem(doc_id="a.txt", source="/data/a.txt", kind="txt", text="Hòa Bình …").kind
    'txt'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RawItem", "ReadFailure", "ReadNote", "ReadOptions", "ARTICLE_FIELDS"]

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


@dataclass
class ReadNote:
    """Something the user should know that is no failure ("feed lists 900 articles: reading 200")."""

    source: str
    text: str


@dataclass(frozen=True)
class ReadOptions:
    """Limits and switches every reader gets (from Settings: HOIDAP_MAX_FILE_MB, …)."""

    max_bytes: int = 20 * 1024 * 1024
    max_pdf_pages: int = 200
    ocr: bool = True
    ocr_lang: str = "vie"

    @classmethod
    def from_settings(cls, settings) -> "ReadOptions":
        return cls(max_bytes=int(settings.max_file_mb * 1024 * 1024), max_pdf_pages=settings.max_pdf_pages,
                   ocr=settings.ocr, ocr_lang=settings.ocr_lang)
