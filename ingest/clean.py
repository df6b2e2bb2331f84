r"""Remove web boilerplate from saved article text, keep the article's own words.

General rules only (no per-site or per-file fixes): a line is dropped when the WHOLE short line
is page furniture — share/font-size/print controls, visitor counters, rating prompts, login
links, stand-alone section headings of the page ("Tin liên quan", "Các tin khác", "Phản hồi"…),
breadcrumbs, copyright lines — and a related-links block at the end of the page is dropped
with its heading. Sentences that merely contain those words are kept. A paragraph repeated
right after itself (photo captions saved twice) is kept once. Output: NFC, one paragraph per
line, paragraphs separated by one blank line, no leading/trailing spaces.

The pipeline's second step (read → clean → metadata → chunk → write):

    >>> from ingest.clean import clean_text
    >>> clean_text("Tin liên quan\nHòa Bình mưa lớn.\nChia sẻ bài viết lên facebook")
    'Hòa Bình mưa lớn.'
"""
from __future__ import annotations

import re
from dataclasses import replace

from ingest.readers.items import RawItem
from rag.vntext import display

__all__ = ["clean_item", "clean_text", "is_boilerplate_line", "removed_lines"]

_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\v\f]")


def _display_text(text: str) -> str:
    return _SPACES.sub(" ", display(text))


# literal entities left in text by careless exports ("sức khỏe:&nbspviệc đi khám")
_ENTITIES = re.compile(r"&(nbsp|amp|quot|apos|lt|gt|ndash|mdash|hellip|laquo|raquo|ldquo|rdquo|lsquo|"
                       r"rsquo|#\d{2,6}|#x[0-9a-fA-F]{2,5});?")
_ENTITY_MAP = {"nbsp": " ", "amp": "&", "quot": '"', "apos": "'", "lt": "<", "gt": ">", "ndash": "–",
               "mdash": "—", "hellip": "…", "laquo": "«", "raquo": "»", "ldquo": "“", "rdquo": "”",
               "lsquo": "‘", "rsquo": "’"}


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name.startswith("#x"):
        try:
            return chr(int(name[2:], 16))
        except (ValueError, OverflowError):
            return m.group(0)
    if name.startswith("#"):
        try:
            return chr(int(name[1:]))
        except (ValueError, OverflowError):
            return m.group(0)
    if not m.group(0).endswith(";") and name not in ("nbsp",):
        return m.group(0)  # "AT&T", "R&D": only &nbsp is common without its semicolon
    return _ENTITY_MAP[name]


# ---------------------------------------------------------------------------------------------
# whole-line patterns (matched against the stripped line, case-insensitive)

_I = re.IGNORECASE
_COUNT = r"(?:\s*[:(\[]?\s*\d[\d.,]*\s*[)\]]?)?"  # optional "(12)", ": 3"

# headings of page blocks that are never part of the article when they stand alone on a line
_SECTION_WORDS = [
    r"phản hồi", r"gửi phản hồi", r"ý kiến(?: bạn đọc| của bạn)?", r"bình luận", r"gửi bình luận",
    r"viết bình luận", r"(?:các |những )?tin (?:khác|cũ hơn|mới hơn|đã đưa)", r"tin bài khác",
    r"(?:các |những )?bài (?:viết )?khác", r"thư viện (?:ảnh|video|media)", r"liên kết(?: website| web)?",
    r"mới nhất", r"tin mới(?: nhất)?", r"tin (?:tức )?liên quan", r"bài (?:viết )?liên quan",
    r"tin (?:bài )?cùng chuyên mục", r"cùng chuyên mục", r"bài cùng chuyên mục", r"xem thêm",
    r"xem tiếp", r"đọc thêm", r"đọc tiếp", r"tin (?:đọc|xem) nhiều(?: nhất)?", r"đọc nhiều(?: nhất)?",
    r"xem nhiều(?: nhất)?", r"tin nổi bật", r"nổi bật", r"tin tiêu điểm", r"tiêu điểm", r"tin hot",
    r"có thể bạn quan tâm", r"bạn có thể quan tâm", r"tin tức(?: khác)?", r"video(?: nổi bật)?",
    r"quảng cáo", r"advertisement", r"tags?", r"từ khóa", r"từ khoá", r"thẻ", r"chủ đề",
    r"chia sẻ", r"share", r"lên đầu trang", r"về đầu trang", r"đầu trang", r"quay lại", r"trở lại",
    r"trở về", r"trang chủ", r"in(?: bài(?: viết)?| trang)?", r"bản in", r"gửi(?: bài)?(?: viết)?",
    r"gửi email", r"email", r"print", r"lưu(?: bài)?(?: viết)?", r"theo dõi(?: chúng tôi)?(?: trên)?",
    r"đăng nhập", r"đăng ký", r"đăng xuất", r"quên mật khẩu", r"thành viên", r"tìm kiếm",
    r"back", r"top", r"facebook", r"twitter", r"zalo", r"google\+?", r"youtube", r"tweet", r"like",
    r"thông tin (?:cần biết|tuyên truyền)", r"liên hệ", r"sơ đồ (?:site|trang)",
    r"rss", r"thống kê truy cập", r"bình chọn", r"khảo sát ý kiến", r"lịch công tác",
    r"văn bản mới", r"chuyên mục", r"danh mục",
]
_SECTION_RE = re.compile(r"^(?:" + "|".join(_SECTION_WORDS) + r")" + _COUNT + r"\s*[:>»›.…]*$", _I)

# share bars and font-size / print controls ("A- A A+ | Chia sẻ bài viết lên facebook …")
_CONTROL_TOKEN = (r"(?:A\s*[-+]|A|Cỡ chữ|cỡ chữ|Kích thước chữ|Font chữ|Chia sẻ(?: bài viết)?(?: lên| qua)?|"
                  r"Share(?: on)?|Facebook|facebook|Twitter|twitter|Google\+|google\+|Zalo|zalo|Email|"
                  r"E-?mail|In bài(?: viết)?|In trang|Bản in|Gửi bài(?: viết)?|Gửi email|Lưu bài(?: viết)?|"
                  r"Tweet|Like|Pinterest|LinkedIn|Copy link|Sao chép(?: liên kết| link)?|Print|"
                  r"Bình luận|Gửi cho bạn bè|Thích|Chia sẻ lên|lên|qua|\||/|·|-|\+)")
_CONTROLS_RE = re.compile(rf"^(?=.*[^\W\d_])(?:{_CONTROL_TOKEN}\s*)+$")
_SHARE_RE = re.compile(r"chia sẻ (?:bài viết |bài |trang )?(?:lên|qua) (?:facebook|twitter|google|zalo|"
                       r"linkedin|email)", _I)
_FONT_RE = re.compile(r"^(?:A\s*-\s*A\s*A\s*\+|A\s*\+\s*A\s*-|A\s*A\s*A)\b", _I)

# visitor counters: "Hôm nay : 7", "Tháng 02 : 14.546", "Năm 2020 : 26.127", "Đang truy cập: 12"
_COUNTER_STRONG = re.compile(
    r"^(?:đang (?:truy cập|online|trực tuyến|xem)|lượt (?:truy cập|xem|view)|số lượt (?:truy cập|xem)|"
    r"tổng (?:số )?lượt (?:truy cập|xem)|tổng (?:số )?truy cập|lượt truy câp|truy cập|visitors?|online|"
    r"khách(?: viếng thăm)?|máy chủ tìm kiếm|trực tuyến)\s*:?\s*[\d.,]+$", _I)
_COUNTER_WEAK = re.compile(
    r"^(?:hôm nay|hôm qua|tuần này|tuần trước|tháng này|tháng trước|năm nay|năm trước|tất cả|tổng cộng|"
    r"tổng|tháng\s*\d{1,2}(?:/\d{4})?|năm\s*\d{4}|tuần\s*\d{1,2})\s*:\s*[\d.,]+$", _I)

# ratings, logins, copyright, breadcrumbs
_RATING_RE = re.compile(
    r"^(?:tổng số điểm của bài viết là\s*:?\s*\d+\s*trong\s*\d+\s*đánh giá|"
    r"click (?:để|vào đây để) đánh giá(?: bài viết)?|đánh giá(?: bài viết)?\s*:?\s*[\d/.,\s★☆]*|"
    r"xếp hạng\s*:?\s*[\d/.,\s★☆]*|bạn đánh giá(?: bài viết)?(?: này)?(?: như thế nào)?\s*\??|"
    r"điểm(?: bình chọn)?\s*:\s*[\d/.,]+|\d+\s*/\s*\d+\s*(?:điểm|sao)|"
    r"(?:chưa có|có) \d* ?(?:bình luận|phản hồi|đánh giá)(?: nào)?\.?)$", _I)
_LOGIN_RE = re.compile(r"^(?:đăng nhập|đăng ký|đăng xuất)(?:\s*[/|]\s*(?:đăng nhập|đăng ký|đăng xuất))*"
                       r"(?: (?:để|tài khoản|thành viên)[^.]{0,40})?\s*$", _I)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright\b|bản quyền (?:thuộc|©)|ghi rõ nguồn|"
                           r"giấy phép (?:số|hoạt động|xuất bản|thiết lập)|"
                           r"không được sao chép|cấm sao chép|nghiêm cấm sao chép).{0,200}$", _I)
_BREADCRUMB_RE = re.compile(r"^(?:trang chủ|home)\s*(?:[>»›/|]\s*[^>»›/|]{1,60}){1,6}$", _I)
# a link to another article: ">> Xem thêm: …", "Đọc thêm: …", "Tin liên quan: …"
_SEE_ALSO_RE = re.compile(r"^(?:>>?|»|►|▶)?\s*(?:xem thêm|đọc thêm|xem tiếp|mời (?:bạn )?(?:đọc|xem)(?: thêm)?|"
                          r"tin liên quan|bài liên quan|tin cùng chuyên mục)\s*[:>»]+\s*\S.{0,200}$", _I)
# a call for readers' contributions with the newsroom's address ("* Mọi ý kiến đóng góp … hộp thư: x@y.vn")
_CONTRIB_RE = re.compile(r"^\W{0,3}(?:mọi ý kiến|mọi thông tin|mời (?:quý )?độc giả|độc giả (?:có thể )?gửi|"
                         r"bạn đọc (?:có thể )?gửi|thông tin (?:phản ánh|liên hệ)|"
                         r"đường dây nóng của báo|liên hệ quảng cáo)[^\n]{0,250}[\w.+-]+@[\w-]+\.[\w.]+", _I)
# decorative separator lines and lone bullets (a lone "-" may be a table cell: kept)
_JUNK_RE = re.compile(r"^(?:[\-–—_=*~#]\s*){3,}$|^[•·|>»›<«‹]$")  # separators, lone bullets

# a heading after which the rest of the page is a list of other articles
_TAIL_HEAD_RE = re.compile(
    r"^(?:tin (?:tức )?liên quan|bài (?:viết )?liên quan|(?:các |những )?tin (?:khác|cũ hơn|mới hơn|đã đưa)|"
    r"tin bài khác|(?:các |những )?bài (?:viết )?khác|tin (?:bài )?cùng chuyên mục|cùng chuyên mục|"
    r"bài cùng chuyên mục|xem thêm|đọc thêm|tin (?:đọc|xem) nhiều(?: nhất)?|đọc nhiều(?: nhất)?|"
    r"xem nhiều(?: nhất)?|có thể bạn quan tâm|bạn có thể quan tâm|tin mới(?: nhất)?|mới nhất|"
    r"phản hồi|bình luận|ý kiến bạn đọc|thư viện ảnh|liên kết website|tags?|từ khóa|từ khoá)"
    + _COUNT + r"\s*[:>»›.…]*$", _I)


def is_boilerplate_line(line: str) -> bool:
    """True when the whole (stripped) line is page furniture, not article text."""
    s = line.strip()
    if not s:
        return False
    if len(s) > 160:  # a real paragraph; the rules below are for short lines only
        return bool(_CONTRIB_RE.match(s)) if len(s) < 300 else False
    if _JUNK_RE.match(s):
        return True
    return bool(
        _SECTION_RE.match(s)
        or _CONTROLS_RE.match(s)
        or _FONT_RE.match(s)
        or (len(s) < 200 and _SHARE_RE.search(s) and len(s.split()) <= 25
            and not re.search(r"[.!?]\s+\S", s))
        or _COUNTER_STRONG.match(s)
        or _RATING_RE.match(s)
        or _LOGIN_RE.match(s)
        or _COPYRIGHT_RE.match(s)
        or _BREADCRUMB_RE.match(s)
        or (_SEE_ALSO_RE.match(s) and len(s.split()) <= 30)
        or _CONTRIB_RE.match(s)
    )


def _norm_key(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


_TERMINAL = tuple(".!?…:;\"”’)»")


def _is_short_link_line(s: str) -> bool:
    """A headline-like line in a related-links list: short, no sentence inside."""
    return len(s) <= 200 and len(s.split()) <= 35 and not re.search(r"[.!?]\s+[A-ZĐÀ-Ỹ]", s)


# base64/hex blobs (inline images, tracking ids) pasted into text: never words anyone asks
# about, and a 200 KB "word" would cost minutes of embedding
_BLOB_RE = re.compile(r"[A-Za-z0-9+/=_-]{200,}")


def _split_lines(text: str) -> list[str]:
    text = _display_text(text)
    text = _ENTITIES.sub(_entity, text)
    out = []
    for raw in text.split("\n"):
        if len(raw) >= 200:
            raw = _BLOB_RE.sub(" ", raw)
        line = re.sub(r" {2,}", " ", raw).strip()
        out.append(line)
    return out


def _clean_lines(lines: list[str], removed: list[str] | None = None) -> list[str]:
    def drop(s: str) -> None:
        if removed is not None and s:
            removed.append(s)

    # 1. a related-links block at the end: a tail heading ("Tin liên quan", "Các tin khác"…)
    #    followed only by page furniture and short headline-like lines, in the last half
    lines = list(lines)
    content = [i for i, s in enumerate(lines) if s]
    if content:
        total_chars = sum(len(lines[i]) for i in content)
        seen_chars = 0
        for ci, i in enumerate(content):
            s = lines[i]
            if _TAIL_HEAD_RE.match(s) and seen_chars >= 0.5 * total_chars:
                after = [lines[j] for j in content[ci + 1:]]
                if len(after) <= 40 and all(_is_short_link_line(a) or is_boilerplate_line(a)
                                            for a in after):
                    for j in content[ci:]:
                        drop(lines[j])
                        lines[j] = ""
                    break
            seen_chars += len(s)

    # 2. whole-line boilerplate; visitor counters ("Hôm nay : 7") only in a cluster
    keep: list[str] = []
    nonblank = [i for i, s in enumerate(lines) if s]
    where = {i: k for k, i in enumerate(nonblank)}
    counters = {i for i in nonblank if _COUNTER_WEAK.match(lines[i]) or _COUNTER_STRONG.match(lines[i])}
    for i, s in enumerate(lines):
        if not s:
            keep.append("")
            continue
        if i in counters:
            pos = where[i]
            nb = {nonblank[j] for j in (pos - 1, pos + 1) if 0 <= j < len(nonblank)}
            if _COUNTER_STRONG.match(s) or nb & counters:
                drop(s)
                continue
        if is_boilerplate_line(s):
            drop(s)
            continue
        keep.append(s)

    # 3. join a line wrapped in the middle of a sentence (next line starts in lower case)
    merged: list[str] = []
    for s in keep:
        first_word = s.split(" ", 1)[0] if s else ""
        if (s and merged and merged[-1] and s[0].islower() and s[0].isalpha()
                and not any(c.isupper() for c in first_word)  # "iPhone", "eBay" start paragraphs
                and not merged[-1].endswith(_TERMINAL) and len(merged[-1]) < 400):
            merged[-1] = merged[-1] + " " + s
        else:
            merged.append(s)

    # 4. a paragraph repeated right after itself is kept once
    paras: list[str] = []
    for s in merged:
        if not s:
            continue
        if paras and len(s.split()) >= 3 and _norm_key(paras[-1]) == _norm_key(s):
            drop(s)
            continue
        paras.append(s)
    return paras


def clean_text(text: str) -> str:
    """Cleaned article text: one paragraph per line, paragraphs separated by a blank line."""
    if not text:
        return ""
    return "\n\n".join(_clean_lines(_split_lines(text)))


def removed_lines(text: str) -> list[str]:
    """The lines `clean_text` drops (for audits and sanity checks)."""
    removed: list[str] = []
    _clean_lines(_split_lines(text), removed)
    return removed


def clean_item(item: RawItem) -> RawItem:
    """The same item with its text cleaned (a new object: the read item is left as it was)."""
    return replace(item, text=clean_text(item.text))
