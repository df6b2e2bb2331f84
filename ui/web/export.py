"""A stored conversation as a file: Markdown, or Word (.docx) with the citations as footnotes.

python-docx writes the document; it has no footnote API, so the footnotes part
(word/footnotes.xml, ECMA-376 §17.11) is added here and each [n] marker becomes a real Word
footnote reference holding the quote and its source.

    >>> body, media, name = export_conversation(conversations.get(user, cid), "docx")  # doctest: +SKIP
"""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from ui.web.render import clean_text, quoted_reference, vn_date

_MARK = re.compile(r"\[(\d+)\]")
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
FOOTNOTES_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def _filename(conv: dict, ext: str) -> str:
    stem = re.sub(r"[^\w\- ]+", "", conv.get("title") or "hoi-dap", flags=re.UNICODE).strip()[:60] or "hoi-dap"
    return f"{stem}.{ext}"


def to_markdown(conv: dict) -> str:
    """Each question as a heading, the answer with [^k] footnotes, the footnotes at the end."""
    out = [f"# {conv.get('title') or 'Cuộc trò chuyện'}", ""]
    notes: list[str] = []
    for t in conv.get("turns", []):
        ans = t["answer"]
        by_n = {c["n"]: c for c in ans.get("citations") or []}
        base = len(notes)

        def mark(m: re.Match) -> str:
            c = by_n.get(int(m.group(1)))
            return f"[^{base + list(by_n).index(c['n']) + 1}]" if c else m.group(0)

        out += [f"## {t['question']}", "", _MARK.sub(mark, ans.get("answer", "")), ""]
        notes += [quoted_reference(c) for c in by_n.values()]
    out += [f"[^{i}]: {n}" for i, n in enumerate(notes, 1)]
    return "\n".join(out).rstrip() + "\n"


def _footnotes_xml(notes: list[str]) -> bytes:
    sep = (f'<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
           f'<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
           f'</w:p></w:footnote>')
    body = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
        for i, text in enumerate(notes, 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W_NS}">'
            f"{sep}{body}</w:footnotes>").encode("utf-8")


def _add_footnote_ref(paragraph, note_id: int) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(
        f'<w:r xmlns:w="{W_NS}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteReference w:id="{note_id}"/></w:r>'))


def to_docx(conv: dict) -> bytes:
    from docx import Document
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    doc = Document()
    doc.add_heading(conv.get("title") or "Cuộc trò chuyện", level=1)
    notes: list[str] = []
    for t in conv.get("turns", []):
        ans = t["answer"]
        by_n = {c["n"]: c for c in ans.get("citations") or []}
        doc.add_heading(t["question"], level=2)
        for line in clean_text(ans.get("answer", "")).split("\n"):
            p = doc.add_paragraph()
            pos = 0
            for m in _MARK.finditer(line):
                p.add_run(line[pos:m.start()].rstrip())
                c = by_n.get(int(m.group(1)))
                if c is None:
                    p.add_run(m.group(0))
                else:
                    notes.append(quoted_reference(c))
                    _add_footnote_ref(p, len(notes))
                pos = m.end()
            p.add_run(line[pos:])
        when = vn_date(t.get("created"))
        if when:
            doc.add_paragraph().add_run(f"({when})").italic = True
    part = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_CT, _footnotes_xml(notes), doc.part.package)
    doc.part.relate_to(part, FOOTNOTES_RT)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def export_conversation(conv: dict, fmt: str) -> tuple[bytes, str, str]:
    """-> (file bytes, media type, file name) for fmt "md" or "docx"."""
    if fmt == "md":
        return to_markdown(conv).encode("utf-8"), "text/markdown; charset=utf-8", _filename(conv, "md")
    if fmt == "docx":
        return (to_docx(conv), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                _filename(conv, "docx"))
    raise ValueError("format: must be 'md' or 'docx'")
