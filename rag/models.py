"""Plain data objects passed between the layers (ingest → store → retrieval → answers → UI)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Article:
    """One cleaned article, ready to chunk. `text` keeps the article's own spelling (NFC)."""

    doc_id: str  # stable: path relative to the ingest root, or the JSONL record id
    source: str  # where it came from: file path, or "file.jsonl#line" for JSONL records
    text: str  # cleaned body, paragraphs separated by blank lines (no title line)
    content_hash: str  # sha256 of the cleaned text + metadata that is indexed
    title: str | None = None
    published: str | None = None  # ISO "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM"
    url: str | None = None
    source_name: str | None = None  # e.g. "Báo Sơn La"
    author: str | None = None
    category: str | None = None
    provinces: list[str] = field(default_factory=list)  # canonical names, first mention first
    province: str | None = None  # the one the article is about
    text_hash: str | None = None  # of the normalised text alone: the same article under two names
    doc_number: str | None = None  # an official document's number, e.g. "25-KH/BTGTU"
    ocr: bool = False  # (some of) the text was read from a scan by OCR: may hold misread words

    def meta(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("text")
        return d


@dataclass
class Chunk:
    """A passage of an article. `header` is only for the embedder, never shown."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    header: str
    start: int  # character offsets of `text` inside Article.text
    end: int
    n_tokens: int = 0


@dataclass
class Hit:
    """One retrieved chunk with its article metadata (from the Qdrant payload)."""

    chunk_id: str
    doc_id: str
    score: float
    text: str
    payload: dict[str, Any]

    @property
    def title(self) -> str | None:
        return self.payload.get("title")
