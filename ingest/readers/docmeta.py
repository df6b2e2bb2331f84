"""The header block of a Vietnamese official document (kế hoạch, nghị quyết, báo cáo, quyết
định…): issuer, number ("Số 25-KH/BTGTU"), place and date, document type and subject. They
become metadata and leave the body.

    >>> from ingest.readers.docmeta import official_fields
    >>> lines = ["TỈNH ỦY ĐẮK LẮK", "BAN TUYÊN GIÁO", "*", "Số 25-KH/BTGTU", "ĐẢNG CỘNG SẢN VIỆT NAM",
    ...          "Đắk Lắk, ngày 10 tháng 01 năm 2022", "KẾ HOẠCH", "phối hợp thực hiện Đề án số 04-ĐA/TU",
    ...          "Thực hiện Đề án số 04-ĐA/TU của Tỉnh ủy, Ban Tuyên giáo xây dựng kế hoạch như sau."]
    >>> fields, body = official_fields(lines)
    >>> fields["number"], fields["date"], fields["title"], fields["category"], fields["source"]
    ('25-KH/BTGTU', '2022-01-10', 'Kế hoạch phối hợp thực hiện Đề án số 04-ĐA/TU', 'Kế hoạch', 'Ban Tuyên giáo Tỉnh ủy Đắk Lắk')
    >>> body
    ['Thực hiện Đề án số 04-ĐA/TU của Tỉnh ủy, Ban Tuyên giáo xây dựng kế hoạch như sau.']
"""
from __future__ import annotations

import re

from ingest.dates import iso_date

__all__ = ["official_fields", "DOC_NUMBER_RE"]

HEAD_LINES = 25  # the header block sits in the first lines of page one
_TYPES = ("kế hoạch", "nghị quyết", "báo cáo", "quyết định", "công văn", "thông báo", "chỉ thị", "hướng dẫn",
          "tờ trình", "đề án", "quy định", "kết luận", "chương trình", "thông tư", "nghị định", "luật",
          "quy chế", "biên bản", "giấy mời", "công điện", "thông tri")
_TYPE_RE = re.compile(r"^(?:" + "|".join(_TYPES) + r")$", re.IGNORECASE)
DOC_NUMBER_RE = re.compile(r"(?<![\w/])(\d{1,5}(?:[-/][A-ZĐ0-9]{1,12}){1,4})(?![\w/])")
_NUMBER_LINE = re.compile(r"^Số\s*[:.]?\s*(?P<n>\d{1,5}(?:\s*[-/]\s*[A-ZĐ0-9]{1,12}){1,4})\s*$", re.IGNORECASE)
_DATE_LINE = re.compile(r"^(?:(?P<place>[^,]{2,40}),\s*)?ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+"
                        r"năm\s+(?P<y>\d{4})\s*$", re.IGNORECASE)
_MOTTO = re.compile(r"^(?:ĐẢNG CỘNG SẢN VIỆT NAM|CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA "
                    r"VIỆT NAM|Độc lập\s*[-–]\s*Tự do\s*[-–]\s*Hạnh phúc|[-–_*\s]+)$", re.IGNORECASE)


def _sentence_case(s: str) -> str:
    s = s.strip()
    return s[:1].upper() + s[1:].lower() if s.isupper() else s


_COMMON_NOUNS = [(r"\b(Tuyên|Tôn) Giáo\b", r"\1 giáo"), (r"\b(Tỉnh|Thành|Huyện|Đảng|Quận) (Ủy|Uỷ)\b", r"\1 ủy"),
                 (r"\b(Nhân) Dân\b", r"\1 dân"), (r"\b(Dân) Vận\b", r"\1 vận"), (r"\b(Tổ) Chức\b", r"\1 chức"),
                 (r"\b(Kiểm) Tra\b", r"\1 tra"), (r"\b(Văn) Phòng\b", r"\1 phòng")]


def _issuer(lines: list[str]) -> str | None:
    """"TỈNH ỦY ĐẮK LẮK" + "BAN TUYÊN GIÁO" -> "Ban Tuyên giáo Tỉnh ủy Đắk Lắk" (the unit first)."""
    caps = [ln.strip() for ln in lines if ln.isupper() and 1 <= len(ln.split()) <= 8]
    if not caps:
        return None
    text = " ".join(c.title() for c in reversed(caps))
    for pattern, repl in _COMMON_NOUNS:
        text = re.sub(pattern, repl, text)
    return text


def _subject_title(kind: str, subject: list[str]) -> str:
    s = " ".join(" ".join(subject).split())
    if s.isupper():
        s = s.lower()
    return f"{kind} {s[:1].lower()}{s[1:]}"


def official_fields(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """(fields, remaining lines): number, date, title, category (the type), source (issuer)."""
    fields: dict[str, str] = {}
    head = lines[:HEAD_LINES]
    drop: set[int] = set()
    issuer_lines: list[str] = []
    type_at = None
    for i, ln in enumerate(head):
        s = ln.strip()
        m = _NUMBER_LINE.match(s)
        if m and "number" not in fields:
            fields["number"] = re.sub(r"\s+", "", m.group("n"))
            drop.add(i)
            continue
        m = _DATE_LINE.match(s)
        if m and "date" not in fields:
            iso = iso_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            if iso:
                fields["date"] = iso
                drop.add(i)
            continue
        if _MOTTO.match(s):
            drop.add(i)
            continue
        if _TYPE_RE.match(s) and type_at is None:
            type_at = i
            break
        if s.isupper() and type_at is None and "number" not in fields:
            issuer_lines.append(s)
            drop.add(i)
    if type_at is None:
        return ({}, lines) if "number" not in fields else (fields, [ln for i, ln in enumerate(lines) if i not in drop])
    kind = _sentence_case(head[type_at])
    fields["category"] = kind
    drop.add(type_at)
    subject = []
    for j in range(type_at + 1, min(type_at + 4, len(lines))):
        s = lines[j].strip()
        if not s or s.startswith(("Thực hiện", "Căn cứ", "Kính gửi")) or re.search(r"[.;:]$", s) \
                or len(subject) >= 2 or re.match(r"^(?:[IVXLC]{1,5}|\d{1,2}|[A-Z])[.)]\s", s) \
                or (subject and s.isupper() != subject[0].isupper()):
            break  # the body starts: a sentence, a numbered heading ("I. MỤC ĐÍCH"), a change of case
        if s.strip("-–_* "):
            subject.append(s)
        drop.add(j)
    fields["title"] = _subject_title(kind, subject) if subject else \
        kind + (f" {fields['number']}" if "number" in fields else "")
    issuer = _issuer(issuer_lines)
    if issuer:
        fields["source"] = issuer
    return fields, [ln for i, ln in enumerate(lines) if i not in drop]
