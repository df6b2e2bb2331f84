"""Gazetteer of Vietnam's provinces and centrally-run cities.

Core layer: imports nothing from ingest/ui/eval.

* ``ALL_PROVINCES``: the 63 canonical names in force before the July 2025 merger. They are the
  keys articles are tagged with (the corpus is mostly older than the merger, and the 34 units
  after it all carry one of the old names, except "Huế", an alias of "Thừa Thiên Huế").
* ``PROVINCES_2025``: the 34 units after 1 July 2025; ``MERGED_2025`` maps each old canonical name
  to the unit it belongs to now; ``province_2025(name)`` does the look-up.
* ``find_provinces(text)``: canonical names mentioned in a text, first mention first.
* ``main_province(text, title)``: the province an article is about.
* ``match_province(name)``: canonical name for user input ("son la", "dak lak", "tp hcm").

Matching works on a tone-normalised form (so "Hoà Bình" == "Hòa Bình") and keeps case: names
that are also ordinary words or given names ("hòa bình" = peace, "Nguyễn Hòa Bình", "cao bằng
nhau") need a capitalised form and are never taken when preceded by a family / middle name or by
an administrative word that makes them a commune, ward or street ("xã Hòa Bình", "phố Huế").
The city of Hồ Chí Minh needs a city cue (TP, Thành phố, TP.HCM, Sài Gòn): the bare name is
the President ("tư tưởng Hồ Chí Minh").
"""
from __future__ import annotations

import re
from collections import Counter

from rag import vntext

__all__ = [
    "ALL_PROVINCES",
    "PROVINCES_2025",
    "MERGED_2025",
    "find_provinces",
    "main_province",
    "match_province",
    "provinces_and_main",
    "province_2025",
    "province_mentions",
]

HCM = "TP Hồ Chí Minh"
HUE = "Thừa Thiên Huế"

# canonical name -> extra spellings (the canonical name itself is always an alias)
_PROVINCES: dict[str, list[str]] = {
    # centrally-run cities
    "Hà Nội": ["Hanoi", "Thủ đô Hà Nội"],
    HCM: [],  # generated below (needs a city cue)
    "Hải Phòng": [],
    "Đà Nẵng": ["Da Nang", "Danang"],
    "Cần Thơ": [],
    # provinces
    "An Giang": [],
    "Bà Rịa - Vũng Tàu": ["Bà Rịa Vũng Tàu", "Bà Rịa-Vũng Tàu", "BR-VT", "BRVT", "Vũng Tàu", "Bà Rịa"],
    "Bắc Giang": [],
    "Bắc Kạn": ["Bắc Cạn"],
    "Bạc Liêu": [],
    "Bắc Ninh": [],
    "Bến Tre": [],
    "Bình Định": [],
    "Bình Dương": [],
    "Bình Phước": [],
    "Bình Thuận": [],
    "Cà Mau": [],
    "Cao Bằng": [],
    "Đắk Lắk": ["Đăk Lăk", "Đắk Lăk", "Đăk Lắk", "Đắc Lắc", "Đắk Lắc", "Đắc Lắk", "Daklak", "Dak Lak",
                "Đắklắk", "ĐắkLắk", "Đăklăk", "Đaklak", "Darlac"],
    "Đắk Nông": ["Đăk Nông", "Đắc Nông", "Dak Nong", "Daknong", "Đắknông", "Đăknông"],
    "Điện Biên": [],
    "Đồng Nai": [],
    "Đồng Tháp": [],
    "Gia Lai": [],
    "Hà Giang": [],
    "Hà Nam": [],
    "Hà Tĩnh": [],
    "Hải Dương": [],
    "Hậu Giang": [],
    "Hòa Bình": [],
    "Hưng Yên": [],
    "Khánh Hòa": [],
    "Kiên Giang": [],
    "Kon Tum": ["Kontum", "Công Tum"],
    "Lai Châu": [],
    "Lâm Đồng": [],
    "Lạng Sơn": [],
    "Lào Cai": [],
    "Long An": [],
    "Nam Định": [],
    "Nghệ An": [],
    "Ninh Bình": [],
    "Ninh Thuận": [],
    "Phú Thọ": [],
    "Phú Yên": [],
    "Quảng Bình": [],
    "Quảng Nam": [],
    "Quảng Ngãi": [],
    "Quảng Ninh": [],
    "Quảng Trị": [],
    "Sóc Trăng": [],
    "Sơn La": [],
    "Tây Ninh": [],
    "Thái Bình": [],
    "Thái Nguyên": [],
    "Thanh Hóa": [],
    HUE: ["Thừa Thiên - Huế", "Thừa Thiên-Huế", "TT-Huế", "TT Huế", "TT.Huế", "Huế"],
    "Tiền Giang": [],
    "Trà Vinh": [],
    "Tuyên Quang": [],
    "Vĩnh Long": [],
    "Vĩnh Phúc": [],
    "Yên Bái": [],
}

_HCM_NAMES = ["Hồ Chí Minh", "HCM"]
_HCM_PREFIXES = ["TP", "TP.", "T.P", "T.P.", "Thành phố", "Thành Phố"]
_PROVINCES[HCM] = [f"{p} {n}" for p in _HCM_PREFIXES for n in _HCM_NAMES] + [
    f"{p}{n}" for p in ("TP.", "T.P.") for n in _HCM_NAMES
] + ["TPHCM", "HCMC", "Sài Gòn", "Saigon", "Sài Gòn - Gia Định"]

ALL_PROVINCES: list[str] = list(_PROVINCES)
assert len(ALL_PROVINCES) == 63, len(ALL_PROVINCES)

# after the merger of 1 July 2025 (Resolution 202/2025/QH15): 34 units
MERGED_2025: dict[str, str] = {p: p for p in ALL_PROVINCES}
MERGED_2025.update({
    HUE: "Huế",
    "Hà Giang": "Tuyên Quang",
    "Yên Bái": "Lào Cai",
    "Bắc Kạn": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ", "Hòa Bình": "Phú Thọ",
    "Bắc Giang": "Bắc Ninh",
    "Thái Bình": "Hưng Yên",
    "Hải Dương": "Hải Phòng",
    "Hà Nam": "Ninh Bình", "Nam Định": "Ninh Bình",
    "Quảng Bình": "Quảng Trị",
    "Quảng Nam": "Đà Nẵng",
    "Kon Tum": "Quảng Ngãi",
    "Bình Định": "Gia Lai",
    "Ninh Thuận": "Khánh Hòa",
    "Đắk Nông": "Lâm Đồng", "Bình Thuận": "Lâm Đồng",
    "Phú Yên": "Đắk Lắk",
    "Bình Dương": HCM, "Bà Rịa - Vũng Tàu": HCM,
    "Bình Phước": "Đồng Nai",
    "Long An": "Tây Ninh",
    "Sóc Trăng": "Cần Thơ", "Hậu Giang": "Cần Thơ",
    "Bến Tre": "Vĩnh Long", "Trà Vinh": "Vĩnh Long",
    "Tiền Giang": "Đồng Tháp",
    "Bạc Liêu": "Cà Mau",
    "Kiên Giang": "An Giang",
})
PROVINCES_2025: list[str] = sorted(
    set(MERGED_2025.values()), key=lambda p: ALL_PROVINCES.index(p if p in ALL_PROVINCES else HUE))
assert len(PROVINCES_2025) == 34, len(PROVINCES_2025)

# Names that are also common words or given names: they need a capitalised form and must not
# follow a personal name. Everything else also matches in lower case ("đắk lắk", "hà nội").
_AMBIGUOUS = {
    "Hòa Bình", "Thái Bình", "Bình Định", "Cao Bằng", "Phú Thọ", "Hải Dương", "Khánh Hòa",
    "Bình Dương", "Thái Nguyên", "Hà Nam", "Vĩnh Long", "Phú Yên", "Long An", "Kiên Giang",
    "Nam Định", "An Giang", "Bình Phước", "Bình Thuận", "Ninh Thuận", "Vĩnh Phúc", "Hậu Giang",
    "Tiền Giang", "Hà Giang", "Quảng Bình", "Ninh Bình",
}
_AMBIGUOUS_ALIASES = {"Huế", "Bà Rịa", "Sài Gòn", "Vũng Tàu"}

# phrases that contain a name but are not the province (matched first, then dropped)
_BLOCKERS = [
    "Thái Bình Dương", "châu Á - Thái Bình Dương", "Châu Á - Thái Bình Dương", "Ấn Độ - Thái Bình Dương",
    "Sài Gòn Giải Phóng",  # a newspaper's name, not a mention of the city
]

# family names and common middle names: "<one of these> Hòa Bình" is a person
_PERSON_WORDS = set("""
Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Trương Lương Lâm
Mai Trịnh Cao Tạ Tô Đào Chu Lưu Kiều Thái Hứa Quách Triệu Tăng Lại Giang Khổng Mạc Vương Thân Phùng
Văn Thị Hữu Đức Công Đình Quang Minh Ngọc Xuân Trọng Thanh Kim Thế Duy Tuấn Mạnh Bá Khắc Viết Quốc
Như Hồng Thu Thúy Thùy Phương Bảo Gia Hải Hà Nhật Tiến Trung Việt Anh Tất Doãn Diệp Âu Ông Lò Quàng
""".split())
# a preceding word that makes the name a smaller unit or a street, not the province
_UNIT_WORDS = {"xã", "phường", "đường", "phố", "ấp", "thôn", "bản", "quận", "huyện", "thị trấn",
               "khu phố", "làng", "hẻm", "ngõ", "kiệt", "tổ", "khóm", "cầu"}
# a kinship word or title before an ambiguous name makes it a person: "chị Huế", "ông Khánh Hòa"
_KIN_WORDS = {"anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cậu", "mợ", "dì", "thím", "cháu", "cụ",
              "bé", "thầy", "vợ", "chồng", "mẹ", "bố", "cha", "nữ sinh", "nam sinh", "bệnh nhân", "nạn nhân",
              "sinh viên", "học sinh", "cầu thủ", "ca sĩ", "nghệ sĩ", "đồng chí", "tên", "tác giả", "phóng viên"}


# --------------------------------------------------------------------------------------------
# text forms

def _norm(s: str) -> str:
    """Cleaned, tone-normalised form used for matching (same length as the display form)."""
    return vntext.normalize(s)


def _fold(s: str) -> str:
    """Strip diacritics, đ -> d, lower case."""
    return vntext.fold(s).lower()


def _key(s: str) -> str:
    """Folded, letters and digits only: 'TP. Hồ Chí Minh' -> 'tphochiminh'."""
    return re.sub(r"[\W_]+", "", _fold(s))


# --------------------------------------------------------------------------------------------
# the matcher: word n-grams looked up in a table (fast: no big regex alternation)

_TOKEN = re.compile(r"[^\W_]+")
_GAP_OK = re.compile(r"[ \t\u00a0.\-–—]{0,4}")  # what may separate the words of one name


def _tokens(s: str) -> list[str]:
    return [m.group(0).lower() for m in _TOKEN.finditer(s)]


def _build() -> tuple[dict[tuple[str, ...], tuple[str | None, str]], int]:
    table: dict[tuple[str, ...], tuple[str | None, str]] = {}
    for canon, extra in _PROVINCES.items():
        names = [] if canon == HCM else [canon]
        for a in names + extra:
            a = _norm(a)
            table.setdefault(tuple(_tokens(a)), (canon, a))
    for b in _BLOCKERS:
        b = _norm(b)
        table[tuple(_tokens(b))] = (None, b)
    return table, max(len(k) for k in table)


_TABLE, _MAXN = _build()
_FIRST = {k[0] for k in _TABLE}

_PREV_WORDS = re.compile(r"([^\W\d_]+)\.?\s*$")
_PREV_TWO = re.compile(r"([^\W\d_]+\s+[^\W\d_]+)\.?\s*$")


def _letters(s: str) -> list[str]:
    return [c for c in s if c.isalpha()]


def _case_of(surface: str) -> str:
    letters = _letters(surface)
    if letters and all(c.isupper() for c in letters):
        return "upper"
    words = [w for w in re.split(r"[\s\-–—.]+", surface) if w]
    if words and all(w[0].isupper() for w in words if w[0].isalpha()):
        return "title"
    return "lower"


def _context_is_caps(text: str, start: int, end: int) -> bool:
    """True when the surrounding line is written in capitals (an ALL CAPS headline)."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    le = len(text) if le < 0 else le
    line = text[ls:start] + text[end:le]
    letters = _letters(line)
    return len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.8


_AMBIGUOUS_ALIAS_KEYS = {_norm(a).lower() for a in _AMBIGUOUS_ALIASES}


def _accept(text: str, start: int, end: int, canon: str, alias: str) -> bool:
    surface = text[start:end]
    before = text[max(0, start - 40):start]
    prev1 = _PREV_WORDS.search(before)
    prev2 = _PREV_TWO.search(before)
    w1 = prev1.group(1) if prev1 else ""
    w2 = prev2.group(1).lower() if prev2 else ""
    w2 = re.sub(r"\s+", " ", w2)
    # "xã Hòa Bình", "phố Huế", "huyện Quảng Ninh" (in Quảng Bình) ... but "thành phố Lào Cai" is fine
    if w2 not in ("thành phố", "thị xã") and (w1.lower() in _UNIT_WORDS or w2 in _UNIT_WORDS):
        return False
    ambiguous = canon in _AMBIGUOUS or alias.lower() in _AMBIGUOUS_ALIAS_KEYS
    case = _case_of(surface)
    if not ambiguous:
        return True
    cue = w1.lower() in ("tỉnh", "tp", "tp.") or w2 in ("thành phố", "tỉnh ủy", "ubnd tỉnh")
    if not cue and (w1.lower() in _KIN_WORDS or w2 in _KIN_WORDS):
        return False
    if case == "lower":
        return cue
    if case == "upper":
        # "HÒA BÌNH" in an ALL CAPS headline could be "peace": only with a cue
        if not _context_is_caps(text, start, end):
            return True  # capitals inside mixed-case text: emphasis of the name
        return cue or w1.lower() in ("ở", "tại")
    # Title case: a capitalised family or middle name right before it makes a person
    # ("Nguyễn Hòa Bình", "Nguyễn Thị Huế"); "... tại Hòa Bình" has a lower-case word before
    return not (w1 and w1 in _PERSON_WORDS and not cue)


def province_mentions(text: str) -> list[tuple[str, int, int]]:
    """All accepted mentions as (canonical name, start, end) offsets in ``_norm(text)``."""
    if not text:
        return []
    return _mentions(_norm(text))


def _mentions(t: str) -> list[tuple[str, int, int]]:
    toks = list(_TOKEN.finditer(t))
    low = [m.group(0).lower() for m in toks]
    out = []
    i, n = 0, len(toks)
    while i < n:
        if low[i] not in _FIRST:
            i += 1
            continue
        hit = None
        for k in range(min(_MAXN, n - i), 0, -1):
            entry = _TABLE.get(tuple(low[i:i + k]))
            if entry is None:
                continue
            if k > 1 and not all(_GAP_OK.fullmatch(t, toks[j].end(), toks[j + 1].start())
                                 for j in range(i, i + k - 1)):
                continue
            hit = (k, entry)
            break
        if hit is None:
            i += 1
            continue
        k, (canon, alias) = hit
        start, end = toks[i].start(), toks[i + k - 1].end()
        if canon is not None and _accept(t, start, end, canon, alias):
            out.append((canon, start, end))
        i += k
    return out


def find_provinces(text: str) -> list[str]:
    """Canonical province names mentioned in `text`, in order of first mention."""
    seen: dict[str, None] = {}
    for canon, _, _ in province_mentions(text):
        seen.setdefault(canon, None)
    return list(seen)


_CUE_BEFORE = re.compile(
    r"(?:tỉnh|tp\.?|thành phố|tỉnh ủy|thành ủy|ubnd|hđnd|đảng bộ|báo|đài|công an|sở|ban|trên địa bàn)"
    r"\s*$", re.IGNORECASE)


def provinces_and_main(text: str, title: str | None = None) -> tuple[list[str], str | None]:
    """``find_provinces(title + text)`` and ``main_province(text, title)`` in one pass."""
    t = _norm(text or "")
    body = _mentions(t)
    head = _mentions(_norm(title)) if title else []
    seen: dict[str, None] = {}
    for canon, _, _ in head + body:
        seen.setdefault(canon, None)
    return list(seen), _main(t, body, head)


def main_province(text: str, title: str | None = None) -> str | None:
    """The province an article is about, or None.

    Score: 1 per mention in the text, +1 when the mention has an administrative cue before it
    ("tỉnh X", "Tỉnh ủy X", "TP X", "Báo X") or is in brackets ("huyện Mường Nhé (Điện Biên)"),
    +4 per mention in the title, +1 for the first-mentioned one. A single bare passing mention
    is not enough unless it is the only province and comes early.
    """
    t = _norm(text or "")
    return _main(t, _mentions(t), province_mentions(title) if title else [])


def _main(t: str, body: list[tuple[str, int, int]], head: list[tuple[str, int, int]]) -> str | None:
    scores: Counter[str] = Counter()
    first: dict[str, int] = {}
    for canon, s, e in body:
        w = 1.0
        before = t[max(0, s - 25):s]
        if _CUE_BEFORE.search(before) or (s > 0 and t[s - 1] == "(") or before.rstrip().endswith("ủy"):
            w += 1.0
        scores[canon] += w
        first.setdefault(canon, s)
    for canon, _, _ in head:
        scores[canon] += 4.0
        first.setdefault(canon, -1)
    if not scores:
        return None
    best = min(scores, key=lambda c: (-scores[c], first.get(c, 0)))  # ties: first mentioned
    if scores[best] >= 2 or (len(scores) == 1 and first.get(best, 0) < 400):
        return best
    return None


# --------------------------------------------------------------------------------------------
# user input

def _build_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for canon, extra in _PROVINCES.items():
        for a in [canon] + extra + ([] if canon != HCM else _HCM_NAMES):
            keys.setdefault(_key(a), canon)
    keys.setdefault(_key("Huế"), HUE)
    keys.setdefault("hue", HUE)
    keys.setdefault("hn", "Hà Nội")
    keys.setdefault("sg", HCM)
    keys.setdefault("hcm", HCM)
    keys.setdefault("brvt", "Bà Rịa - Vũng Tàu")
    return keys


_KEYS = _build_keys()
_INPUT_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp|t\.p|thu do)\b\.?\s*", re.IGNORECASE)


def match_province(name: str) -> str | None:
    """Canonical name for user input: accents optional, any case, common variants and prefixes.

    >>> match_province("son la"), match_province("dak lak"), match_province("tp hcm")
    ('Sơn La', 'Đắk Lắk', 'TP Hồ Chí Minh')
    """
    if not name or not name.strip():
        return None
    raw = _norm(name.strip())
    k = _key(raw)
    if k in _KEYS:
        return _KEYS[k]
    stripped = _INPUT_PREFIX.sub("", _fold(raw).strip())
    k2 = re.sub(r"[\W_]+", "", stripped)
    if k2 in _KEYS:
        return _KEYS[k2]
    # a longer phrase that names a province ("tỉnh Sơn La", "Tin ở Đắk Lắk")
    found = find_provinces(raw) or find_provinces(raw.title())
    if found:
        return found[0]
    # unaccented phrase: look for a folded alias as a whole-word substring
    f = " " + re.sub(r"[\W_]+", " ", _fold(raw)) + " "
    best = None
    for canon, extra in _PROVINCES.items():
        for a in [canon] + extra:
            fa = " " + re.sub(r"[\W_]+", " ", _fold(a)).strip() + " "
            if len(fa) > 4 and fa in f and (best is None or len(fa) > best[0]):
                best = (len(fa), canon)
    return best[1] if best else None


def province_2025(name: str) -> str | None:
    """The unit (of the 34 after 1 July 2025) that a province name belongs to now."""
    canon = name if name in MERGED_2025 else match_province(name)
    if canon is None:
        return "Huế" if _key(name) == "hue" else None
    return MERGED_2025[canon]
