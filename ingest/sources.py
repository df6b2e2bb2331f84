"""Where articles come from: files and folders (``readers``) and URLs (``web``), in the order
given; the first step of the pipeline (read → clean → metadata → chunk → write).

    >>> from ingest.sources import iter_sources
    >>> from rag.settings import Settings
    >>> [getattr(x, "doc_id", None) for x in iter_sources(["data/sample/000_dcdfc6636e64646c.txt"], Settings())]
    ['000_dcdfc6636e64646c.txt']
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ingest.readers import RawItem, ReadFailure, ReadNote, ReadOptions, iter_items
from ingest.web import is_url
from rag.settings import Settings

__all__ = ["iter_sources", "is_url"]


def iter_sources(sources: list[str | Path], settings: Settings, since: str | None = None,
                 fetcher=None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    """Articles from each source in turn; a fetcher is made (and closed) only when a URL is given."""
    opts = ReadOptions.from_settings(settings)
    own = None
    try:
        for src in sources:
            if is_url(src):
                from ingest.web import iter_url_items
                from ingest.web.fetch import Fetcher

                if fetcher is None:
                    fetcher = own = Fetcher(settings)
                yield from iter_url_items([str(src)], fetcher, since=since)
            else:
                yield from iter_items([src], options=opts)
    finally:
        if own is not None:
            own.close()
