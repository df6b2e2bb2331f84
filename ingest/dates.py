"""Dates as Vietnamese news pages write them, to ISO "YYYY-MM-DD[THH:MM]" (Vietnam time).

    >>> from ingest.dates import parse_date, parse_date_line, date_from_url
    >>> parse_date_line("Thứ Tư, 10/8/2022 6:0'(GMT+7)")
    ('2022-08-10T06:00', True)
    >>> parse_date("2022-08-10T01:30:00Z")
    '2022-08-10T08:30'
    >>> date_from_url("https://dantri.com.vn/xa-hoi/tin-20201001163534963.htm")
    '2020-10-01T16:35'
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

__all__ = ["parse_date", "parse_date_line", "date_from_url", "body_dateline", "iso_date"]

_I = re.IGNORECASE
_WEEKDAY = r"(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cn|t[2-7])"
_DMY = r"(?<!\d)(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>(?:19|20)\d{2})(?!\d)"
_YMD = r"(?<!\d)(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"
_TIME = (r"(?<![\d/.])(?P<H>[01]?\d|2[0-3])\s*(?::|h|giờ)\s*(?P<M>[0-5]?\d)?(?::[0-5]\d)?(?!\d)\s*'?\s*"
         r"(?P<ampm>AM|PM|SA|CH)?(?![^\W\d_])")
_DMY_RE = re.compile(_DMY)
_YMD_RE = re.compile(_YMD)
_TIME_RE = re.compile(_TIME, _I)
_DATE_FILLER = re.compile(
    r"\(?\s*(?:GMT|UTC)\s*[+-]?\s*\d{0,2}(?::?\d{2})?\s*\)?|" + _WEEKDAY + r"|"
    r"cập nhật(?: lúc| ngày)?|ngày đăng|đăng(?: lúc| ngày| tải)?|thời gian(?: đăng)?|ngày|lúc|giờ|"
    r"xuất bản|published|updated|posted|on|at|am|pm|sa|ch|\bvn\b", _I)


def iso_date(y: int, m: int, d: int, hh: int | None = None, mm: int | None = None) -> str | None:
    try:
        dt = datetime(y, m, d)
    except ValueError:
        return None
    if not 1990 <= y <= datetime.now().year + 1:
        return None
    if hh is None:
        return dt.strftime("%Y-%m-%d")
    if not (0 <= hh <= 23 and 0 <= (mm or 0) <= 59):
        return dt.strftime("%Y-%m-%d")
    return f"{dt:%Y-%m-%d}T{hh:02d}:{(mm or 0):02d}"


def parse_date_line(line: str) -> tuple[str, bool] | None:
    """(ISO date, has_time) when the line is nothing but a date/time stamp, else None.

    "Thứ Tư, 10/8/2022 6:0'(GMT+7)" -> ("2022-08-10T06:00", True); "09-12-2023 13:15";
    "Chủ Nhật, 14/4/2024" -> ("2024-04-14", False); "Cập nhật: 10:30 | 05/03/2021".
    """
    s = line.strip()
    if not s or len(s) > 80:
        return None
    m = _DMY_RE.search(s) or _YMD_RE.search(s)
    if m is None:
        return None
    y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    rest = s[:m.start()] + " " + s[m.end():]
    hh = mm = None
    t = _TIME_RE.search(rest)
    if t is not None and (t.group("M") is not None or re.search(r"h|giờ", t.group(0), _I)):
        hh, mm = int(t.group("H")), int(t.group("M") or 0)
        if (t.group("ampm") or "").upper() in ("PM", "CH") and hh < 12:
            hh += 12
        rest = rest[:t.start()] + " " + rest[t.end():]
    rest = _DATE_FILLER.sub(" ", rest)
    if re.search(r"[^\W_]", rest):  # words left: a sentence that contains a date, not a stamp
        return None
    iso = iso_date(y, mo, d, hh, mm)
    return (iso, hh is not None) if iso else None


def parse_date(value) -> str | None:
    """A date field (ISO, "10/08/2022", datetime...) -> ISO "YYYY-MM-DD[THH:MM]" (Vietnam time)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and 1e8 < value < 1e11:  # unix seconds
        dt = datetime.fromtimestamp(value, tz=timezone(timedelta(hours=7)))
        return iso_date(dt.year, dt.month, dt.day, dt.hour, dt.minute)
    s = str(value).strip()
    if not s:
        return None
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*"
                 r"(Z|[+-]\d{2}:?\d{2})?)?$", s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if m.group(4) is None:
            return iso_date(y, mo, d)
        hh, mi = int(m.group(4)), int(m.group(5))
        tz = m.group(6)
        if tz:
            try:
                off = timedelta(0) if tz == "Z" else \
                    (1 if tz[0] == "+" else -1) * timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:]))
                dt = datetime(y, mo, d, hh, mi, tzinfo=timezone(off)).astimezone(timezone(timedelta(hours=7)))
                return iso_date(dt.year, dt.month, dt.day, dt.hour, dt.minute)
            except ValueError:
                return None
        return iso_date(y, mo, d, hh, mi)
    m = re.match(r"^(\d{4})(\d{2})(\d{2})$", s)
    if m:
        return iso_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    got = parse_date_line(s)
    return got[0] if got else None


def date_from_url(url: str | None) -> str | None:
    """Dates that sites put in URLs: "...-20201001163534963.htm", "/2020/10/01/", "-2020-10-01"."""
    if not url:
        return None
    path = urlparse(url).path
    m = re.search(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?\d*\.(?:s?html?|aspx?|php|vn)$", path)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if m.group(5) is not None:
            iso = iso_date(y, mo, d, int(m.group(4)), int(m.group(5)))
            if iso:
                return iso
        return iso_date(y, mo, d)
    m = re.search(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)", path) or \
        re.search(r"(?<!\d)((?:19|20)\d{2})-(\d{2})-(\d{2})(?!\d)", path)
    if m:
        return iso_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


# "Sáng ngày 08/12/2023, ..." at the very start of the body: the article's own dateline
_BODY_DATELINE = re.compile(
    r"^(?:\((?:[^()]{1,30})\)\s*[-–—]?\s*)?(?:(?:sáng|chiều|tối|trưa|đêm|rạng sáng|khuya|cuối|đầu)\s+)?"
    r"(?:(?:hôm\s+)?nay\s*\(?\s*)?ngày\s+(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*((?:19|20)\d{2})(?!\d)", _I)


def body_dateline(paragraph: str) -> str | None:
    """The date of a body that opens with its own dateline ("Sáng ngày 08/12/2023, …")."""
    m = _BODY_DATELINE.match(paragraph)
    return iso_date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None
