"""OCR of scanned pages and images with Tesseract and its Vietnamese model (Debian packages
tesseract-ocr and tesseract-ocr-vie, called through pytesseract). PDF pages are rendered at
300 dpi with pypdfium2 first.

    >>> from ingest.readers.ocr import available
    >>> available("vie") in (True, False)   # False when Tesseract or its Vietnamese model is missing
    True
"""
from __future__ import annotations

import functools
import shutil

__all__ = ["available", "ocr_image", "ocr_pdf_page", "NEEDS_OCR"]

DPI = 300
PAGE_TIMEOUT_S = 120  # one page; a stuck Tesseract must not hang an ingest
NEEDS_OCR = ("scanned, needs OCR: install Tesseract with its Vietnamese model (apt-get install tesseract-ocr "
             "tesseract-ocr-vie) or set HOIDAP_OCR=true")


@functools.lru_cache(maxsize=8)
def available(lang: str = "vie") -> bool:
    """Tesseract is installed and has every language of `lang` ("vie", "vie+eng")."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        have = set(pytesseract.get_languages(config=""))
    except Exception:
        return False
    return all(part in have for part in lang.split("+"))


def ocr_image(image, lang: str = "vie") -> str:
    """Text of a PIL image, lines as Tesseract reads them."""
    import pytesseract

    # --psm 3: automatic page segmentation (columns, headings, paragraphs)
    return pytesseract.image_to_string(image, lang=lang, config="--psm 3", timeout=PAGE_TIMEOUT_S)


def ocr_pdf_page(data: bytes, index: int, lang: str = "vie") -> str:
    """Text of page `index` (0-based) of a PDF, rendered and OCR'd."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[index].render(scale=DPI / 72).to_pil()
    finally:
        pdf.close()
    return ocr_image(image, lang)
