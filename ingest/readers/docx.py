"""Word documents (.docx) with python-docx: headings, paragraphs and tables in reading order
(a table becomes one line per row, cells joined by " | "); page headers and footers live
apart from the body in .docx and are left out. An official document's number, date, type and
subject go to the metadata (``docmeta``).

    >>> import io, docx
    >>> from ingest.readers.docx import docx_lines
    >>> d = docx.Document()
    >>> _ = d.add_heading("Tình hình chung", level=1)
    >>> _ = d.add_paragraph("Năm 2023 có nhiều kết quả.")
    >>> t = d.add_table(rows=2, cols=2)
    >>> t.cell(0, 0).text, t.cell(0, 1).text, t.cell(1, 0).text, t.cell(1, 1).text = "Huyện", "Số xã", "Krông Pắc", "16"
    >>> buf = io.BytesIO(); d.save(buf)
    >>> docx_lines(buf.getvalue())
    ['Tình hình chung', 'Năm 2023 có nhiều kết quả.', 'Huyện | Số xã', 'Krông Pắc | 16']
"""
from __future__ import annotations

import io
import zipfile

__all__ = ["docx_lines", "DocxError"]


class DocxError(ValueError):
    """A .docx that cannot be read; the message says why in a plain sentence."""


def _row_line(row) -> str:
    cells: list[str] = []
    for cell in row.cells:  # a merged cell comes back once per grid column it spans
        text = " ".join(cell.text.split())
        if not cells or text != cells[-1]:
            cells.append(text)
    return " | ".join(c for c in cells if c)


def _table_lines(table) -> list[str]:
    return [line for line in (_row_line(r) for r in table.rows) if line]


def docx_lines(data: bytes) -> list[str]:
    """The body of a .docx as lines: one per paragraph or heading, one per table row."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocxError("password-protected (encrypted) or an old binary Word file, not a .docx")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocxError(f"damaged or not a Word document ({type(e).__name__}: {e})") from None
    except Exception as e:  # lxml errors inside a broken package
        raise DocxError(f"damaged Word document ({type(e).__name__}: {e})") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
            continue
        # a soft line break (Shift+Enter) inside a paragraph is a break in the sentence, not a paragraph
        text = " ".join(block.text.split())
        if text:
            lines.append(text)
    return lines
