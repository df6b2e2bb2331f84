"""Short answers: what kind of thing a question asks for, and where that thing stands in a sentence.

`answer_type(question)` says what the answer is: a number (bao nhiêu, mấy), a date (ngày nào,
khi nào, năm nào), a person (ai), a place (tỉnh/huyện nào, ở đâu), a document (quy định/nghị
quyết/kế hoạch nào) or an organisation (cơ quan/đơn vị nào); None for why/how/what questions.
`find_spans(kind, sentence, q)` lists the spans of that kind in a sentence, verbatim, leaving out
what the question itself names ("năm 2023" in "năm 2023 có bao nhiêu…" is not the answer), and
`best_span` picks one: a number followed by the unit the question names, else the span nearest
the question's words. The sentence scorer uses the same spans as features, so the sentence
chosen is one that holds a span of the kind asked for.

    >>> q = parse_spans_question("Hội thi Thư viện xanh có bao nhiêu đội tham gia?")
    >>> best_span(q.kind, "Năm nay hội thi có 42 đội tham gia, tăng 5 đội.", q).text
    '42 đội tham gia'
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from rag import vntext
from rag.gazetteer import province_mentions

KINDS = ("number", "date", "person", "place", "document", "organisation")
_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_TOKEN = re.compile(r"\d+(?:[.,/:]\d+)+|[^\W_]+")

# Question patterns, folded (so questions typed without diacritics match), tried in order: a
# document "quy định số mấy" is a document before it is a number.
_KIND_PATTERNS = [
    ("document", r"\b(quy dinh|nghi quyet|ke hoach|van ban|chi thi|de an|quyet dinh|thong tu|nghi dinh|cong van"
                 r"|huong dan|ket luan|chuong trinh|luat|thong bao)( so)? (nao|gi|so may|so bao nhieu|may)\b"
                 r"|\bwhich (regulation|resolution|plan|document|directive|decision|decree|law)\b"),
    ("date", r"\b(ngay|thang|nam|thoi gian|thoi diem|luc|dip|nam hoc) (nao|bao nhieu)\b|\bkhi nao\b|\bbao gio\b"
             r"|\bluc nao\b|\bwhen\b|\bwhat (date|year|day|month|time)\b|\bin which year\b"),
    ("number", r"\bbao nhieu\b|\bmay\b|\bso luong\b|\bty le\b|\bhow (many|much)\b|\bwhat (number|percentage|share)\b"),
    ("organisation", r"\b(co quan|don vi|to chuc|ban|vu|so|bo|doanh nghiep|cong ty|truong|doi|hoi|ngan hang"
                     r"|tap doan|dang uy|benh vien|bao|dai|cuc|vien|trung tam|uy ban) nao\b"
                     r"|\bwhich (agency|organi[sz]ation|unit|department|company|body|ministry|team|newspaper)\b"),
    ("person", r"\bai\b|\b(nguoi|dong chi|ong|ba|nhan vat) nao\b|\bwho\b|\bwhose\b|\bwhom\b"),
    ("place", r"\bo dau\b|\b(noi|tinh|dia phuong|huyen|xa|quan|phuong|thanh pho|tinh thanh|quoc gia|nuoc|vung"
              r"|khu vuc|dia diem|dia ban|thon) nao\b|\bwhere\b|\bwhich (province|district|city|country|place)"),
]
_KIND_RX = [(k, re.compile(p)) for k, p in _KIND_PATTERNS]
# words whose accented and unaccented forms differ in meaning: "mấy" (how many) vs "máy"
# (machine), "ai" (who) vs "ái"; with diacritics typed, only the real question word counts
_ACCENTED = {"may": "mấy", "ai": "ai"}

_STOP = set("""
và của cho với tại trong trên được đã sẽ đang thì mà này đó những các một hay hoặc như khi từ đến về theo
bởi vì nên nếu ở ra vào là có không gì nào ai đâu sao bao nhiêu mấy hơn so cùng
""".split())
_STOP_FOLD = {vntext.fold(w) for w in _STOP}


@dataclass
class SpanQuestion:
    """What span finding needs of a question: its kind, the unit it names, what it already says."""

    text: str
    kind: str | None
    unit: list[str] = field(default_factory=list)  # folded syllables after "bao nhiêu"/"mấy"
    wants_year: bool = False
    wants_day: bool = False  # "ngày nào": a year alone does not answer it
    terms: set[str] = field(default_factory=set)  # folded content syllables
    folded: str = ""  # the folded, lowercased question (to drop spans it already names)


@dataclass
class Span:
    start: int
    end: int
    text: str
    kind: str
    unit_match: bool = False


def _fold_low(text: str) -> str:
    return vntext.fold(vntext.normalize(text).lower())


def answer_type(question: str) -> str | None:
    f = _fold_low(question)
    low = vntext.normalize(question).lower()
    accented = vntext.has_diacritics(question)
    for kind, rx in _KIND_RX:
        for m in rx.finditer(f):
            word = m.group(0).split()[0] if m.group(0) in _ACCENTED else None
            if accented and word and not re.search(rf"\b{_ACCENTED[word]}\b", low):
                continue  # "máy" is not "mấy"
            return kind
    return None


@functools.cache
def _compounds() -> frozenset[str]:
    """Vietnamese 2- and 3-syllable words, folded ("bien che", "van ban"): pyvi's own word list,
    read as text (pyvi itself, whose model takes seconds to load, is not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvi")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "words.txt" if spec and \
        spec.submodule_search_locations else None
    if path is None or not path.is_file():
        return frozenset()
    words = path.read_text(encoding="utf-8").split("\n")
    return frozenset(vntext.fold(w.strip().lower()) for w in words if " " in w.strip())


def _question_unit(f: str) -> list[str]:
    """The unit the question counts in, folded: the word right after "bao nhiêu"/"mấy" ("đội",
    "biên chế"; a compound only when it is a dictionary word, so "bao nhiêu đội tham gia" counts
    "đội", not "đội tham")."""
    m = re.search(r"\b(bao nhieu|may)\s+(.*)", f)
    if not m:
        return []
    toks = []
    for tok in _TOKEN.findall(m.group(2))[:3]:
        if tok in _STOP_FOLD or tok.isdigit():
            break
        toks.append(tok)
    if toks[:2] == ["phan", "tram"]:
        return ["%"]
    for n in (3, 2):
        if len(toks) >= n and " ".join(toks[:n]) in _compounds():
            return toks[:n]
    return toks[:1]


def _place_level(f: str) -> list[str]:
    """The level a place question asks for ("huyện nào" -> huyen), as a one-item unit."""
    m = re.search(r"\b(huyen|quan|thi xa|thanh pho|xa|phuong|thi tran|tinh|thon|lang) nao\b", f)
    return [m.group(1)] if m else []


def parse_spans_question(question: str, terms: list[str] | None = None) -> SpanQuestion:
    """`terms`: the question's content syllables (rag.questions.content_terms); the words of the
    question phrase itself ("năm nào", "bao nhiêu đội") are left out of them, since a date
    standing next to the word "năm" says nothing about which date is asked for."""
    f = _fold_low(question)
    kind = answer_type(question)
    phrase = set()
    for k, rx in _KIND_RX:
        if k == kind:
            phrase = {t for m in rx.finditer(f) for t in m.group(0).split()}
    toks = terms if terms is not None else [t for t in _TOKEN.findall(f) if t not in _STOP_FOLD]
    unit = _question_unit(f) if kind == "number" else _place_level(f) if kind == "place" else []
    folded_terms = {vntext.fold(t.lower()) for t in toks} - phrase - set(unit)
    return SpanQuestion(text=question, kind=kind, unit=unit,
                        wants_year=bool(re.search(r"\bnam (nao|bao nhieu)\b|\bwhat year\b|\bin which year\b", f)),
                        wants_day=bool(re.search(r"\b(ngay|hom) nao\b|\bwhat (date|day)\b|\bon which (date|day)\b", f)),
                        terms=folded_terms, folded=f)


# ------------------------------------------------------------------ spans of each kind

_NUM = re.compile(r"(?<![\w/.,-])(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?(?:\.\d+)?)(?:/(\d+))?(\s*%)?(?![\w/]|[.,]\d|-[^\W\d_])")
_NUM_WORDS = r"(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|hàng chục|hàng trăm|hàng nghìn|hàng triệu|hàng vạn)"
_MULT = re.compile(r"\s+(nghìn|ngàn|triệu|tỷ|tỉ|trăm|vạn)\b(\s+(?:đồng|USD|đô la|euro|EUR|NDT|nhân dân tệ|yên|won|bảng)\b)?", re.I)
_MONEY = re.compile(r"\s+(đồng|USD|đô la|euro|EUR|NDT|nhân dân tệ|yên|won|bảng|ha|km|m2|m²|kg|tấn|lít)\b", re.I)
_DATE_RX = [
    re.compile(r"\b\d{1,2}\s+tháng\s+\d{1,2}(?:\s*(?:năm|,)\s*\d{3,4})?\b", re.I),
    re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/.-])"),
    re.compile(r"\btháng\s+\d{1,2}(?:\s*[/-]\s*\d{4}|\s+năm\s+\d{3,4})\b", re.I),
    re.compile(r"(?<=ngày )\d{1,2}/\d{1,2}(?![\d/])", re.I),
    re.compile(r"\b(?:năm|niên khóa|niên khoá)\s+(\d{3,4}(?:\s*[-–]\s*\d{3,4})?)(?:\s+(?:TCN|SCN|trước Công nguyên))?", re.I),
    re.compile(r"\bthế kỷ\s+(?:thứ\s+)?[IVXLC\d]+(?:\s+(?:TCN|trước Công nguyên))?", re.I),
    re.compile(r"(?<![\d/.,-])(1[0-9]{3}|20[0-9]{2})(?![\d/.,]\d|\d)(?:\s+(?:TCN|SCN))?"),
]
_DOC = re.compile(
    r"\b(?:Quy định|Nghị quyết|Kế hoạch|Chỉ thị|Đề án|Quyết định|Thông tư|Nghị định|Công văn|Hướng dẫn|Kết luận"
    r"|Thông báo|Chương trình|Luật|Công điện|Thông tri|Pháp lệnh)(?:\s+liên tịch)?(?:\s+số)?\s*"
    r"\d+[\w/.\-–]*[\w]"
    r"|\b(?:Luật|Bộ luật|Hiến pháp|Nghị quyết Trung ương|Pháp lệnh)(?:\s+[" + _UP + r"0-9][^\W_]*)+", re.I)
_ORG_STARTS = re.compile(r"(?:Ban|Vụ|Sở|Bộ|Ủy ban|Uỷ ban|UBND|HĐND|MTTQ|Hội|Hội đồng|Trung tâm|Trung ương|Đảng ủy|Đảng uỷ"
                         r"|Tỉnh ủy|Tỉnh uỷ|Huyện ủy|Huyện uỷ|Thành ủy|Thành uỷ|Quận ủy|Công ty|Tập đoàn|Trường|Viện|Cục"
                         r"|Tổng cục|Văn phòng|Đoàn|Mặt trận|Liên đoàn|Liên hiệp|Báo|Đài|Ngân hàng|Bệnh viện|Học viện"
                         r"|Quân đội|Quân khu|Công an|Chi cục|Đội|Câu lạc bộ|Nhà xuất bản|Thư viện|Phòng|Hợp tác xã"
                         r"|Tòa án|Toà án|Viện kiểm sát)\b")
_ADMIN = re.compile(rf"\b((?i:huyện|quận|thị xã|thành phố|TP\.?|xã|phường|thị trấn|tỉnh|thôn|bản|làng|xóm|ấp|"
                    rf"thủ đô|vùng|miền|đảo|sông|núi|vịnh|biển|châu|nước))\s+([{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*)*)")
_PLACE_CUE = re.compile(rf"\b(?:tại|ở|đến|sang|từ)\s+([{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*)*)")
_SURNAMES = set("""Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh La Đoàn
Lương Mai Lâm Tô Tạ Hà Cao Chu Kiều Vương Triệu Thái Quách Trương Lại Lưu Hứa Đàm Mạc Châu Đào Phùng Thân
Khổng Tăng Giang Lò Quàng Âu Doãn Diệp Tất Ông Lã Lục Mạnh Nông Hoàng Phí Văn Từ Ninh Khúc Kim Quan""".split())
_NAME = re.compile(rf"[{_UP}][^\W\d_]*(?:[ \t]+[{_UP}][^\W\d_]*){{1,4}}")
_PERSON_CUE = re.compile(r"(?:đồng chí|đ/c|ông|bà|anh|chị|nhà văn|nhà thơ|tác giả|nghệ sĩ|ca sĩ|diễn viên|nhạc sĩ"
                         r"|họa sĩ|cầu thủ|huấn luyện viên|HLV|vua|hoàng đế|tướng|Thủ tướng|Chủ tịch|Bí thư|Giám đốc"
                         r"|Trưởng ban|Trưởng Ban|Phó Trưởng ban|Bộ trưởng|Thứ trưởng|Tổng Bí thư|Đại tướng|tiến sĩ|TS\."
                         r"|ThS\.|PGS\.|GS\.|bác sĩ|luật sư|nhà báo|phóng viên|PV|Ảnh:|Ảnh)\s*$", re.I)
_ROLE_START = re.compile(r"(?:Ủy viên|Uỷ viên|Bí thư|Phó|Trưởng|Chủ tịch|Giám đốc|Tổng|Thứ trưởng|Bộ trưởng|Chánh"
                         r"|Thủ tướng|Chủ nhiệm|Hiệu trưởng|Đại tá|Thượng tá|Trung tá|Thiếu tá|Thiếu tướng|Trung tướng"
                         r"|Thượng tướng|Đại tướng|Chỉ huy|Đại biểu|nguyên|Viện trưởng|Cục trưởng|Vụ trưởng|Tổng biên tập"
                         r"|Chủ nhiệm|Trưởng phòng|Giảng viên|Bác sĩ|Nhà)\b")
_NOT_NAME_START = set("""Ban Vụ Sở Bộ Ủy Uỷ Hội Trung Đảng Tỉnh Huyện Thành Quận Công Tập Trường Viện Cục Tổng Văn Đoàn
Mặt Liên Báo Đài Ngân Bệnh Học Quân Chi Đội Câu Nhà Thư Phòng Hợp Tòa Quy Nghị Kế Chỉ Đề Quyết Thông Luật Chương
Hướng Kết Sáng Chiều Tối Trong Theo Tại Với Ngày Tháng Năm Thứ Chủ Phó Bí Giám Trưởng Đồng Ông Bà Anh Chị Các Những
Một Hai Ba Để Khi Sau Trước Từ Đến Về Cùng Tuy Nhưng Vì Nếu Ảnh Nguồn Hiện Tiếp Đây Đó Này Dự Việc Cuộc Hồ""".split())


def in_question(text: str, q: SpanQuestion) -> bool:
    f = _fold_low(text).strip()
    return bool(f) and re.search(rf"(?<!\w){re.escape(f)}(?!\w)", q.folded) is not None


def _numbers(text: str, q: SpanQuestion) -> list[Span]:
    out = []
    date_cover = [(m.start(), m.end()) for rx in _DATE_RX[:4] for m in rx.finditer(text)]
    for m in _NUM.finditer(text):
        s, e = m.start(), m.end()
        if any(a <= s < b for a, b in date_cover):
            continue
        before = text[max(0, s - 6):s].lower()
        if re.search(r"(năm|số)\s*$", before) and re.fullmatch(r"\d{4}", m.group(1)):
            continue  # "năm 2023" is a date, "số 11" a code
        if re.search(r"(số|khóa|khoá)\s*$", before) or (text[s - 1:s] == "(" and text[e:e + 1] == ")"):
            continue  # a code ("số 11") or a list label "(1)"
        out.append(_extend_number(text, s, e, q))
    for m in re.finditer(rf"\b{_NUM_WORDS}\b", text, re.I):
        sp = _extend_number(text, m.start(), m.end(), q)
        if sp.unit_match:  # a number word counts only with the unit the question names
            out.append(sp)
    return [sp for sp in out if not in_question(sp.text, q)]


def _extend_number(text: str, s: int, e: int, q: SpanQuestion) -> Span:
    """A number with its multiplier ("180 triệu đồng") and the unit the question names."""
    mm = _MULT.match(text, e)
    if mm:
        e = mm.end()
    unit_match = False
    if q.unit == ["%"]:
        unit_match = "%" in text[s:e] or bool(re.match(r"\s*(phần trăm|%)", text[e:]))
    elif q.unit:
        toks = list(_TOKEN.finditer(text, e, min(len(text), e + 60)))
        n = 0
        for i, t in enumerate(toks[:len(q.unit)]):
            gap = text[(toks[i - 1].end() if i else e):t.start()]
            if gap.strip() or vntext.fold(t.group(0).lower()) != q.unit[i]:
                break
            n = i + 1
        if n:
            e, unit_match = toks[n - 1].end(), True
    if not unit_match and not mm:
        mo = _MONEY.match(text, e)
        if mo:
            e = mo.end()
    return Span(s, e, text[s:e], "number", unit_match)


def _dates(text: str, q: SpanQuestion) -> list[Span]:
    out: list[Span] = []
    taken: list[tuple[int, int]] = []
    for i, rx in enumerate(_DATE_RX):
        for m in rx.finditer(text):
            s, e = m.start(), m.end()
            if i == 4:  # "năm 2019": the year alone (and its era), not the word "năm"
                s = m.start(1)
            if any(a <= s < b or a < e <= b for a, b in taken):
                continue
            taken.append((s, e))
            out.append(Span(s, e, text[s:e], "date"))
    spans = [sp for sp in out if not in_question(sp.text, q)]
    if q.wants_day:  # a day is asked for: a year or a century alone does not say it
        spans = [sp for sp in spans if re.search(r"\d{1,2}\s*(?:[/.-]|tháng)\s*\d{1,2}", sp.text)]
    return sorted(spans, key=lambda sp: sp.start)


def _names(text: str) -> list[tuple[int, int]]:
    """(start, end) of personal names: capitalised runs that start with a family name, or that
    follow a person cue ("đồng chí", "ông", "tác giả"…); a leading title word is left out."""
    out = []
    for m in _NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group(0)))
        cue = _PERSON_CUE.search(text[max(0, m.start() - 25):m.start()]) is not None
        k = next((i for i, w in enumerate(words) if w.group(0) in _SURNAMES and i + 1 < len(words)), None)
        if k is None:
            if not cue or words[0].group(0) in _NOT_NAME_START:
                continue
            k = 0
        if len(words) - k < 2 and not cue:
            continue
        out.append((m.start() + words[k].start(), m.end()))
    return out


def _persons(text: str, q: SpanQuestion) -> list[Span]:
    out = []
    for s, e in _names(text):
        if in_question(text[s:e], q) or any(s < b and a < e for _, a, b in province_mentions(text)):
            continue
        out.append(Span(s, _title_tail(text, e), text[s:_title_tail(text, e)], "person"))
    return out


_VERB = re.compile(r"\s+(?:đã|sẽ|đang|vừa|làm|phát biểu|báo cáo|cho biết|chủ trì|dự|tham dự|trao|tặng|khẳng định"
                   r"|nhấn mạnh|đề nghị|ghi nhận|là|và|với|cùng|được|có|tại|đến|về|trong|khi|thì|mà|kiểm tra"
                   r"|chỉ đạo|yêu cầu|kết luận|nêu|giới thiệu|trình bày|thông tin|chia sẻ|tiếp|gặp|thăm)\b")


def _title_tail(text: str, e: int, max_syllables: int = 14) -> int:
    """End of the name's title clauses (", Phó Trưởng Ban Tuyên giáo Tỉnh ủy"), if any: at most
    two clauses that start with a role word, each cut before a verb ("… làm trưởng đoàn")."""
    end, n = e, 0
    for _ in range(2):
        m = re.match(r",\s*([^,.;:()\n]+)", text[end:])
        if not m or not _ROLE_START.match(m.group(1)):
            break
        clause = m.group(1)
        v = _VERB.search(clause)
        clause = clause[:v.start()] if v else clause
        n += len(clause.split())
        if n > max_syllables or not clause.strip():
            break
        end += m.start(1) + len(clause.rstrip())
        if v:
            break
    return end


def _places(text: str, q: SpanQuestion) -> list[Span]:
    out: list[Span] = []
    same_len = len(vntext.normalize(text)) == len(text)
    for _, s, e in province_mentions(text) if same_len else []:
        out.append(Span(s, e, text[s:e], "place"))
    for m in _ADMIN.finditer(text):  # "huyện Mường Nhé": the name; the level asked for counts as a unit
        s, e = m.start(2), m.end(2)
        level = _fold_low(m.group(1))
        out = [sp for sp in out if not (s <= sp.start < e)]
        out.append(Span(s, e, text[s:e], "place", unit_match=bool(q.unit) and level == " ".join(q.unit)))
    for m in _PLACE_CUE.finditer(text):
        s, e = m.start(1), m.end(1)
        if m.group(1).split()[0] in _NOT_NAME_START or any(a.start <= s < a.end for a in out):
            continue
        out.append(Span(s, e, text[s:e], "place"))
    return sorted((sp for sp in out if not in_question(sp.text, q)), key=lambda sp: sp.start)


def _documents(text: str, q: SpanQuestion) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0), "document") for m in _DOC.finditer(text)
            if not in_question(m.group(0), q)]


def _organisations(text: str, q: SpanQuestion) -> list[Span]:
    """Names of bodies: a head word ("Ban", "Sở", "Đảng ủy"…) followed by capitalised words, each
    possibly with its lowercase second syllable ("Ban Tuyên giáo Tỉnh ủy Lạng Sơn")."""
    out = []
    for m in _ORG_STARTS.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        toks = list(re.finditer(r"[^\W_]+", text[m.end():m.end() + 160]))
        end, prev_cap, n_cap = m.end(), True, 0
        for t in toks:
            gap = text[end:m.end() + t.start()]
            w = t.group(0)
            if gap.strip() not in ("", "-"):
                break
            if w[0].isupper():
                prev_cap, n_cap = True, n_cap + 1
            elif prev_cap and w.lower() not in _STOP and not w[0].isdigit() and n_cap:
                prev_cap = False
            else:
                break
            end = m.end() + t.end()
        if n_cap and not in_question(text[m.start():end], q):
            out.append(Span(m.start(), end, text[m.start():end], "organisation"))
    return out


_FINDERS = {"number": _numbers, "date": _dates, "person": _persons, "place": _places,
            "document": _documents, "organisation": _organisations}


def find_spans(kind: str | None, text: str, q: SpanQuestion) -> list[Span]:
    """Spans of `kind` in `text` that the question does not already name, in text order
    (years first when the question asks for a year)."""
    if kind not in _FINDERS:
        return []
    return _FINDERS[kind](text, q)


def term_positions(text: str, q: SpanQuestion) -> list[int]:
    """Character offsets of the question's content syllables in `text`."""
    return [m.start() for m in _TOKEN.finditer(text) if vntext.fold(m.group(0).lower()) in q.terms]


def span_distance(sp: Span, positions: list[int]) -> int:
    """Characters between the span and the nearest question term outside it (10,000 when none)."""
    out = [min(abs(p - sp.start), abs(p - sp.end)) for p in positions if not sp.start <= p < sp.end]
    return min(out) if out else 10_000


def best_span(kind: str | None, text: str, q: SpanQuestion) -> Span | None:
    """The span answering the question: one with the unit it names, else the one nearest to its
    words (the first on ties)."""
    spans = find_spans(kind, text, q)
    if not spans:
        return None
    pos = term_positions(text, q)
    if kind == "date" and q.wants_year:
        years = [sp for sp in spans if re.search(r"\d{3,4}", sp.text)]
        spans = years or spans
    return min(spans, key=lambda sp: (not sp.unit_match, span_distance(sp, pos), sp.start))
