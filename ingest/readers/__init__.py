"""Read articles from files and folders: one module per format, chosen by the file's extension.

``iter_items(paths)`` yields one ``RawItem`` per article (a text/Markdown/HTML file, or one
JSONL line) or a ``ReadFailure`` naming the problem in a plain sentence; one bad file or line
never stops the others. Text is decoded strictly (``decode``) and always NFC with "\\n" line
ends; nothing is guessed blindly and binary files are refused.

    >>> from ingest.readers import iter_items
    >>> [(it.doc_id, it.kind) for it in iter_items(["data/sample"])][:2]
    [('000_dcdfc6636e64646c.txt', 'txt'), ('001_e022e5b5879dd9b4.txt', 'txt')]
    >>> list(iter_items(["no/such/file.txt"]))
    [ReadFailure(source='no/such/file.txt', reason='no such file or folder')]

Formats: ``text`` (.txt), ``markdown`` (.md), ``html`` (.html, .htm), ``jsonl`` (.jsonl,
.jsonl.gz), ``documents`` (.docx, .pdf, and .png/.jpg/.jpeg/.tif/.tiff by OCR). A reader is
``read(path, doc_id, opts: ReadOptions) -> Iterator[RawItem | ReadFailure | ReadNote]``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from ingest.readers.decode import DecodeError, decode_bytes
from ingest.readers.documents import read_docx, read_image, read_pdf
from ingest.readers.files import walk
from ingest.readers.html import read_html
from ingest.readers.html_picker import html_to_text
from ingest.readers.items import ARTICLE_FIELDS, RawItem, ReadFailure, ReadNote, ReadOptions
from ingest.readers.jsonl import read_jsonl
from ingest.readers.markdown import read_markdown
from ingest.readers.text import read_text

__all__ = ["RawItem", "ReadFailure", "ReadNote", "ReadOptions", "DecodeError", "iter_items", "decode_bytes", "html_to_text",
           "reader_for", "SUPPORTED", "ARTICLE_FIELDS", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # HOIDAP_MAX_FILE_MB=20; MB here means MiB, like the settings

Reader = Callable[[Path, str, ReadOptions], Iterator["RawItem | ReadFailure | ReadNote"]]
# longest suffix first, so ".jsonl.gz" wins over ".gz"
READERS: dict[str, Reader] = {
    ".jsonl.gz": read_jsonl,
    ".jsonl": read_jsonl,
    ".txt": read_text,
    ".md": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".docx": read_docx,
    ".pdf": read_pdf,
    **{ext: read_image for ext in (".png", ".jpg", ".jpeg", ".tif", ".tiff")},
}
SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz", ".docx", ".pdf", ".png", ".jpg", ".jpeg",
             ".tif", ".tiff")


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    return next((r for ext, r in READERS.items() if name.endswith(ext)), None)


def _one_file(path: Path, doc_id: str, opts: ReadOptions, explicit: bool) -> Iterator[RawItem | ReadFailure | ReadNote]:
    read = reader_for(path)
    if read is None:
        if explicit:  # a file inside a folder may be anything; a file named by the user must be read
            ext = "".join(path.suffixes[-2:]) if path.suffixes else "(none)"
            yield ReadFailure(str(path), f"unsupported file type '{ext}' (supported: {', '.join(SUPPORTED)})")
        return
    yield from read(path, doc_id, opts)


def iter_items(paths: list[str | Path] | str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
               options: ReadOptions | None = None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    """Articles from files and folders (folders recursively, sorted, hidden entries skipped).

    doc_id: for a folder argument the path relative to it with "/" ("sub/a.txt"); for a file
    argument its file name; for a JSONL record its "id" (else "<file doc_id>#<line>").
    """
    opts = options or ReadOptions(max_bytes=max_bytes)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            seen: set[tuple[int, int]] = set()
            for f in walk(p, seen):
                if isinstance(f, ReadFailure):
                    yield f
                    continue
                yield from _one_file(f, f.relative_to(p).as_posix(), opts, explicit=False)
        elif p.exists() or p.is_symlink():
            yield from _one_file(p, p.name, opts, explicit=True)
        else:
            yield ReadFailure(str(p), "no such file or folder")
