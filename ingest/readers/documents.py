"""Office documents and scans as articles: .docx, .pdf (text layer, OCR for scanned pages) and
images (.png, .jpg, .tif: OCR). One document is one article; an official document's number,
date, type, subject and issuer become its metadata (``docmeta``); text read by OCR is marked
(field ``ocr``), and a scan that cannot be read is reported, never stored empty.

    >>> from ingest.readers.documents import read_document_bytes
    >>> from ingest.readers.items import ReadOptions
    >>> [x.reason for x in read_document_bytes(b"%PDF-1.4 broken", "pdf", "a.pdf", "a.pdf", ReadOptions())]
    ['damaged or not a PDF (PDFSyntaxError: No /Root object! - Is this really a PDF?)']
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

from ingest.readers.docmeta import official_fields
from ingest.readers.files import read_bytes
from ingest.readers.items import RawItem, ReadFailure, ReadNote, ReadOptions

__all__ = ["read_docx", "read_pdf", "read_image", "read_document_bytes"]


def _needs_ocr(opts: ReadOptions) -> str:
    if not opts.ocr:
        return "scanned, needs OCR (OCR is switched off: HOIDAP_OCR=false)"
    return ("scanned, needs OCR: Tesseract with its Vietnamese model is not installed "
            "(apt-get install tesseract-ocr tesseract-ocr-vie)")


def _item(lines: list[str], doc_id: str, source: str, kind: str, fields: dict, ocr: bool) -> RawItem | ReadFailure:
    meta, body = official_fields(lines)
    text = "\n".join(body).strip()
    if not text:
        return ReadFailure(source, "no text found in the document")
    fields = dict(fields, **meta)
    if ocr:
        fields["ocr"] = True
    return RawItem(doc_id=doc_id, source=source, kind=kind, text=text, fields=fields)


def _pdf(data: bytes, doc_id: str, source: str, opts: ReadOptions, fields: dict) -> Iterator[RawItem | ReadFailure | ReadNote]:
    from ingest.readers.pdf import PdfError, pdf_text

    try:
        got = pdf_text(data, opts)
    except PdfError as e:
        yield ReadFailure(source, str(e))
        return
    if not got.lines:
        yield ReadFailure(source, _needs_ocr(opts) if got.scanned_skipped else "no text found in the PDF")
        return
    if got.scanned_skipped:
        pages = ", ".join(map(str, got.scanned_skipped))
        yield ReadNote(source, f"page(s) {pages} of {got.pages} are scanned images and were left out: "
                               + _needs_ocr(opts))
    yield _item(got.lines, doc_id, source, "pdf", fields, ocr=bool(got.ocr_pages))


def _docx(data: bytes, doc_id: str, source: str, fields: dict) -> Iterator[RawItem | ReadFailure]:
    from ingest.readers.docx import DocxError, docx_lines

    try:
        lines = docx_lines(data)
    except DocxError as e:
        yield ReadFailure(source, str(e))
        return
    yield _item(lines, doc_id, source, "docx", fields, ocr=False)


def _image(data: bytes, doc_id: str, source: str, opts: ReadOptions, fields: dict) -> Iterator[RawItem | ReadFailure]:
    from PIL import Image, UnidentifiedImageError

    from ingest.readers import ocr

    if not (opts.ocr and ocr.available(opts.ocr_lang)):
        yield ReadFailure(source, _needs_ocr(opts))
        return
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as e:
        yield ReadFailure(source, f"damaged or not an image ({e})")
        return
    lines = [s for s in ocr.ocr_image(image, opts.ocr_lang).splitlines() if s.strip()]
    if not lines:
        yield ReadFailure(source, "no text found by OCR in the image")
        return
    from ingest.readers.pdf import join_lines

    yield _item(join_lines(lines), doc_id, source, "image", fields, ocr=True)


def read_document_bytes(data: bytes, kind: str, doc_id: str, source: str, opts: ReadOptions,
                        fields: dict | None = None) -> Iterator[RawItem | ReadFailure | ReadNote]:
    """One article from the bytes of a document of `kind` ("pdf", "docx" or "image")."""
    fields = dict(fields or {})
    if kind == "pdf":
        yield from _pdf(data, doc_id, source, opts, fields)
    elif kind == "docx":
        yield from _docx(data, doc_id, source, fields)
    else:
        yield from _image(data, doc_id, source, opts, fields)


def _from_file(kind: str):
    def read(path: Path, doc_id: str, opts: ReadOptions) -> Iterator[RawItem | ReadFailure | ReadNote]:
        data = read_bytes(path, opts.max_bytes)
        if isinstance(data, ReadFailure):
            yield data
            return
        yield from read_document_bytes(data, kind, doc_id, str(path), opts)

    read.__name__ = f"read_{kind}"
    read.__doc__ = f"One article from a .{kind} file."
    return read


read_pdf = _from_file("pdf")
read_docx = _from_file("docx")
read_image = _from_file("image")
