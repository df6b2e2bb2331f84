r"""Plain text files: one article per file, decoded strictly (see ``decode``).

    >>> from ingest.readers.items import ReadOptions
    >>> from ingest.readers.text import read_text
    >>> [item] = read_text(Path("data/sample/000_dcdfc6636e64646c.txt"), "000.txt", ReadOptions())
    >>> item.doc_id, item.kind, item.text.count("\n") > 5
    ('000.txt', 'txt', True)
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ingest.readers.files import load_text
from ingest.readers.items import RawItem, ReadFailure, ReadOptions

__all__ = ["read_text"]


def read_text(path: Path, doc_id: str, opts: ReadOptions) -> Iterator[RawItem | ReadFailure]:
    """One article from a .txt file."""
    text = load_text(path, opts.max_bytes)
    if isinstance(text, ReadFailure):
        yield text
        return
    yield RawItem(doc_id=doc_id, source=str(path), kind="txt", text=text)
