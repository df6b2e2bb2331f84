"""PDF documents with pdfplumber: the text layer in reading order, tables as one line per row,
page headers/footers and page numbers dropped, lines rejoined into paragraphs (hyphenation
repaired), legacy-font Vietnamese (TCVN3/VNI text in a PDF without Unicode maps) converted.
Pages without a text layer are OCR'd (``ocr``) when Tesseract is installed.

    >>> from ingest.readers.pdf import join_lines
    >>> join_lines(["Ban Tuyên giáo đã tổ chức hội nghị tổng kết công tác", "năm 2023 với nhiều kết quả.",
    ...             "1. Tình hình chung", "Công tác thông-", "tin được chú trọng."])
    ['Ban Tuyên giáo đã tổ chức hội nghị tổng kết công tác năm 2023 với nhiều kết quả.', '1. Tình hình chung', 'Công tác thông tin được chú trọng.']
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.readers.items import ReadOptions
from ingest.readers.legacy import detect_legacy, vietnamese_confidence

__all__ = ["PdfError", "PdfText", "pdf_text", "join_lines"]

EDGE_SHARE = 0.1  # headers and footers sit in the top and bottom tenth of a page
_PAGE_NO = re.compile(r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|trang\s*\d{1,4}(?:\s*/\s*\d{1,4})?|\d{1,4}\s*/\s*\d{1,4}|page\s*\d+)$",
                      re.IGNORECASE)
_LIST_START = re.compile(r"^(?:[-+•*–]\s|\d{1,2}(?:\.\d{1,2})*[.)]\s|[a-zđ][).]\s|[IVXLC]{1,5}[.)]\s|Điều\s+\d)")
_TERMINAL = tuple(".:;!?…\"”)")


class PdfError(ValueError):
    """A PDF that cannot be read; the message says why in a plain sentence."""


@dataclass
class PdfText:
    lines: list[str]
    pages: int
    ocr_pages: list[int] = field(default_factory=list)  # 1-based page numbers read by OCR
    scanned_skipped: list[int] = field(default_factory=list)  # scanned pages left out: no Tesseract


def join_lines(lines: list[str]) -> list[str]:
    """Lines rejoined into paragraphs: a line continues the previous one unless that ended a
    sentence, was short (a heading) while this one starts in upper case, or this one starts a
    list item; "thông-" + "tin" becomes "thông tin"
    (Vietnamese syllables are words of their own) and "infor-" + "mation" "information"."""
    out: list[str] = []
    for line in lines:
        s = " ".join(line.split())
        if not s:
            continue
        prev = out[-1] if out else ""
        # an upper-case start continues only a long line (a heading is short; a wrapped line
        # may end before a name: "… của đồng chí" / "Nguyễn Văn A")
        continues = s[:1].islower() or (len(prev) >= 60 and not s[:1].isdigit())
        if prev and continues and not prev.endswith(_TERMINAL) and not _LIST_START.match(s) and not prev.isupper():
            if re.search(r"[^\W\d_]-$", prev) and s[:1].islower():
                head = prev[:-1]
                word = re.search(r"(\S+)$", head).group(1)
                glue = " " if vietnamese_confidence(word + " " + s.split()[0])[0] == 1.0 else ""
                out[-1] = head + glue + s
            else:
                out[-1] = prev + " " + s
        else:
            out.append(s)
    return out


def _open(data: bytes):
    import pdfplumber

    try:
        return pdfplumber.open(io.BytesIO(data))
    except Exception as e:
        inner = [x for x in (*e.args, e.__cause__, e.__context__) if isinstance(x, BaseException)]
        chain = " ".join(f"{type(x).__name__} {x}" for x in (e, *inner)).lower()
        if "password" in chain or "encrypt" in chain:
            raise PdfError("encrypted PDF (it needs a password)") from None
        what = inner[0] if inner else e
        raise PdfError(f"damaged or not a PDF ({type(what).__name__}: {what})") from None


def _page_lines(page) -> list[tuple[float, str]]:
    """(top, text) of each line and each table row of one page, top to bottom."""
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    out: list[tuple[float, str]] = []
    for ln in page.extract_text_lines(strip=True, return_chars=False):
        mid = (ln["top"] + ln["bottom"]) / 2
        if not any(b[1] <= mid <= b[3] and b[0] <= (ln["x0"] + ln["x1"]) / 2 <= b[2] for b in boxes):
            out.append((ln["top"], ln["text"]))
    for t in tables:
        for k, row in enumerate(t.extract()):
            cells = [" ".join((c or "").split()) for c in row]
            line = " | ".join(c for c in cells if c)
            if line:
                out.append((t.bbox[1] + k * 0.01, line))
    return sorted(out, key=lambda x: x[0])


def _furniture(pages: list[list[tuple[float, str]]], heights: list[float]) -> list[list[str]]:
    """Page lines without running headers/footers (repeated on half the pages or more) and page numbers."""
    def edge(k: int) -> list[tuple[float, str]]:
        h = heights[k]
        return [(top, s) for top, s in pages[k] if top < EDGE_SHARE * h or top > (1 - EDGE_SHARE) * h]

    key = lambda s: re.sub(r"\d+", "#", s.lower())
    seen = Counter(k for i in range(len(pages)) for k in {key(s) for _, s in edge(i)})
    need = max(2, (len(pages) + 1) // 2)
    out = []
    for i, lines in enumerate(pages):
        drop = {(t, s) for t, s in edge(i) if _PAGE_NO.match(s) or (len(pages) > 1 and seen[key(s)] >= need)}
        out.append([s for t, s in lines if (t, s) not in drop])
    return out


def _fix_legacy_font(lines: list[str]) -> list[str]:
    """Text drawn with TCVN3/VNI fonts comes out of the PDF as Latin-1 look-alikes: convert it."""
    text = "\n".join(lines)
    if not text or vietnamese_confidence(text)[0] > 0.8:
        return lines
    try:
        raw = text.encode("cp1252")
    except UnicodeEncodeError:
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return lines
    got = detect_legacy(raw)
    return got[1].split("\n") if got else lines


def pdf_text(data: bytes, opts: ReadOptions) -> PdfText:
    """The document's lines (paragraphs and table rows) with the pages that needed OCR."""
    from ingest.readers import ocr

    pdf = _open(data)
    with pdf:
        n = len(pdf.pages)
        if n > opts.max_pdf_pages:
            raise PdfError(f"{n} pages, over the {opts.max_pdf_pages}-page limit (HOIDAP_MAX_PDF_PAGES)")
        pages, heights, result = [], [], PdfText(lines=[], pages=n)
        for k, page in enumerate(pdf.pages, 1):
            lines = _page_lines(page)
            if sum(len(s) for _, s in lines) < 5:  # no text layer: a scanned page
                if opts.ocr and ocr.available(opts.ocr_lang):
                    text = ocr.ocr_pdf_page(data, k - 1, opts.ocr_lang)
                    lines = [(i * (page.height / max(len(text.splitlines()), 1)), s)
                             for i, s in enumerate(text.splitlines()) if s.strip()]
                    result.ocr_pages.append(k)
                else:
                    result.scanned_skipped.append(k)
            pages.append(lines)
            heights.append(float(page.height))
    # joined across page breaks too: a sentence often runs on to the next page
    result.lines = join_lines(_fix_legacy_font([s for lines in _furniture(pages, heights) for s in lines]))
    return result
