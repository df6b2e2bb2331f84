r"""Article metadata from a cleaned page: title, date, url, source, author, category, provinces.

    >>> from ingest.clean import clean_item
    >>> from ingest.metadata import build_article
    >>> from ingest.readers import RawItem
    >>> a = build_article(clean_item(RawItem("a.txt", "a.txt", "txt",
    ...     "Quảng Ninh tổng kết năm 2023 với nhiều kết quả\nThứ Năm, 23/5/2024 10:30\nNội dung…")))
    >>> a.title, a.published
    ('Quảng Ninh tổng kết năm 2023 với nhiều kết quả', '2024-05-23T10:30')

``build_article(item)`` takes the cleaned text (``clean.clean_item``, the step before), reads the header zone (page date, section name, the
article's own date line, the headline) and the tail (byline, role line, "Nguồn …: url",
"Theo …"), moves those to metadata and keeps the body as ``Article.text``. JSONL/HTML fields
win whenever they are present and valid. Headlines keep their own final punctuation.

Heuristics (general, not per site):
* header zone = the paragraphs before the first long one (> 40 words), at most 8;
* a date line is a line that is nothing but a date (+ weekday, time, "(GMT+7)", "Cập nhật"…);
  when a date-only line without a time comes first and is followed by a section name, it is the
  page's "today" bar, not the article date;
* the headline is the line whose words match the URL slug (when the URL has a readable slug),
  else the line right above the article's date line, else the first headline-like line after
  it, else the first line of the page when it reads like a headline (short, no final period);
  site names (every word capitalised: "Tỉnh Ủy Lào Cai") and section names (short lines followed
  by the real headline) are skipped and become source_name / category;
* byline = a short personal-name line near the end (optionally ", <organisation>" or followed
  by a role line), or a name glued after the last sentence ("… tỷ đồng. Hồng Quân").
"""
from __future__ import annotations

import hashlib
import re
from difflib import SequenceMatcher
from urllib.parse import unquote, urlparse

from ingest.dates import body_dateline, date_from_url, parse_date, parse_date_line
from ingest.readers import RawItem
from rag import vntext
from rag.gazetteer import find_provinces, provinces_and_main
from rag.models import Article

__all__ = ["build_article", "content_hash", "text_hash"]

_I = re.IGNORECASE


def _fold(s: str) -> str:
    return vntext.fold(s).lower()


# ---------------------------------------------------------------------------------------------
# lines

_TERMINAL_PERIOD = re.compile(r"[.。]\s*$")
_URL_RE = re.compile(r"https?://\S+")
_SOURCE_LINE = re.compile(r"^\(?\s*Nguồn\s*(?P<name>[^:]{0,80}?)\s*:\s*(?P<rest>.{0,300}?)\s*\)?\.?$", _I)
_SOURCE_PLAIN = re.compile(r"^\(?\s*Nguồn\s+(?P<name>[A-ZĐÀ-Ỹ][^:]{1,60}?)\s*\)?\.?$")
_THEO_LINE = re.compile(r"^\(?\s*Theo\s+(?P<name>[^.:;!?]{2,60}?)\s*\)?\.?$")
_CREDIT_LINE = re.compile(r"^\(?\s*(?:Tổng hợp|T/h|TH|Tổng hợp từ [^.]{2,60}|Lược dịch|Biên dịch|"
                          r"(?:Ảnh|Video|Clip|Nguồn ảnh|Đồ họa)\s*:\s*[^.]{1,60})\s*\)?\.?$", _I)
_CAPTION_RE = re.compile(r"(?:\s|\()(?:Ảnh|Clip|Video|Nguồn ảnh)\s*:\s*\S|^(?:Ảnh|Nguồn ảnh)\s*:\s*\S|\((?:ảnh|video|clip)[^)]{0,40}\)\.?\s*$|^Ảnh minh họa", _I)

_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_LOWER = "a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_NAME_TOK = rf"(?:[{_UPPER}][{_LOWER}]+|[{_UPPER}]\.\s?(?:[{_UPPER}]\.\s?)*[{_UPPER}][{_LOWER}]+)"
_ABBR_TOK = rf"(?:PV|CTV|BTV|TTXVN|VNA|TTX|[{_UPPER}]{{2,5}})"
_INITIAL_TOK = rf"[{_UPPER}]\.\s?(?:[{_UPPER}]\.\s?)*[{_UPPER}][{_LOWER}]+"  # "H.Long", "T. Thủy"
_NAME_RE = re.compile(rf"^(?P<name>{_NAME_TOK}(?:[\s\-]+{_NAME_TOK}){{1,4}}|{_INITIAL_TOK}|"
                      rf"{_ABBR_TOK}(?:\s*[-/]\s*{_ABBR_TOK})?)$")
_NOT_NAMES = {"việt nam", "trung quốc", "hàn quốc", "nhật bản", "hoa kỳ", "liên hợp quốc", "châu âu", "châu á",
              "đông nam á", "thái lan", "ấn độ", "triều tiên", "đài loan", "hồng kông", "tây nguyên",
              "nam bộ", "bắc bộ", "trung bộ", "miền bắc", "miền nam", "miền trung", "thủ đô"}
_BYLINE_PREFIX = re.compile(r"^(?:Bài(?:\s*(?:và|,|&|-)\s*ảnh)?|Tin(?:\s*(?:và|,|&)\s*ảnh)?|Tác giả|Người viết|"
                            r"Phóng viên|Ghi chép|Thực hiện|Nhóm phóng viên|Tin, ảnh|Bài, ảnh)\s*:\s*(?P<rest>.{2,80})$", _I)
_ROLE_WORDS = re.compile(
    r"\b(?:ban|tỉnh ủy|tỉnh uỷ|huyện ủy|huyện uỷ|thành ủy|thành uỷ|đảng ủy|đảng uỷ|sở|phòng|trung tâm|báo|đài|"
    r"trường|học viện|viện|ubnd|hđnd|hội|công ty|bộ|cục|vụ|trưởng|phó|giám đốc|bí thư|chủ tịch|chuyên viên|"
    r"phóng viên|cộng tác viên|giảng viên|ủy viên|uỷ viên|tiến sĩ|thạc sĩ|ths|ts|pgs|gs|sinh viên|học viên|"
    r"cán bộ|văn phòng|khoa|tạp chí|cổng thông tin|đảng bộ|chi bộ|mặt trận)\b", _I)
_ORG_NAME = re.compile(r"^(?:Báo|Tỉnh [ỦU]y|Thành [ỦU]y|Huyện [ỦU]y|Đảng [ỦU]y|Cổng|Trang|Đài|Tạp chí|"
                       r"Ban|Sở|UBND|Bộ|Cục|Hội|Trung tâm|Văn phòng|Thông tấn)\b", _I)


def _words(s: str) -> int:
    return len(s.split())


def _is_name_line(s: str) -> bool:
    """Every word capitalised and short: a site or organisation name, not a sentence-case headline."""
    toks = s.split()
    if not 1 <= len(toks) <= 6 or _TERMINAL_PERIOD.search(s):
        return False
    return all(t[0].isupper() or not t[0].isalpha() for t in toks)


def _is_section_line(s: str) -> bool:
    return _words(s) <= 5 and not re.search(r"[.!?…:]$", s)


def _headline_like(s: str, allow_period: bool) -> bool:
    n = _words(s)
    if n < 3 or n > 35 or len(s) > 250:
        return False
    if s.endswith(":") or _CAPTION_RE.search(s) or _URL_RE.search(s):
        return False
    if not allow_period and re.search(r"[.…;,]$", s):
        return False
    if re.search(r"[.!?]\s+[" + _UPPER + r"]", s) and n > 20:  # two sentences: a lead, not a headline
        return False
    first = s.split()[0]
    return s[0].isupper() or s[0].isdigit() or s[0] in "\"“'‘([«" or \
        (first[0].islower() and any(c.isupper() for c in first[1:]))  # "iPhone", "eBay"


def _person_name(s: str) -> str | None:
    """The name in a byline line ("Huy Thành", "La Thị Nhung, Ban Tuyên giáo…", "H.Long")."""
    line_in = s
    s = s.strip()
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1].strip()
    m = _BYLINE_PREFIX.match(s)
    if m:
        s = m.group("rest").strip()
    s = re.sub(r"\s*\((?:T/h|TH|tổng hợp|theo [^)]{2,60}|lược dịch|dịch)\)\s*$", "", s, flags=_I)
    head, sep, tail = s.partition(",")
    if not sep:
        head2, sep2, tail2 = s.partition(" - ")
        if sep2 and _ROLE_WORDS.search(tail2):
            head, tail, sep = head2, tail2, sep2
    head = head.strip()
    if sep and not (tail.strip() and (_ROLE_WORDS.search(tail) or _NAME_RE.match(head))):
        return None
    if len(head) > 40 or not _NAME_RE.match(head) or head.lower() in _NOT_NAMES:
        return None
    credited = bool(re.search(r"\((?:T/h|TH|tổng hợp|theo [^)]{2,60}|lược dịch|dịch)\)\s*$",
                                                  line_in, flags=_I))
    if not credited and find_provinces(head) and _fold(head) == _fold(find_provinces(head)[0]):
        return None  # a place name on its own line (but "Thái Bình (Tổng hợp)" is a byline)
    return head


# ---------------------------------------------------------------------------------------------
# URL slug similarity

def _slug_tokens(url: str | None) -> list[str]:
    if not url:
        return []
    path = unquote(urlparse(url).path)
    seg = [p for p in path.split("/") if p]
    if not seg:
        return []
    last = re.sub(r"\.(?:s?html?|aspx?|php|vn)$", "", seg[-1], flags=_I)
    last = re.sub(r"-?\d{10,}$", "", last)  # dantri-style trailing timestamp
    last = re.sub(r"-[A-Za-z0-9]{6,12}$", lambda m: "" if re.search(r"[A-Z]", m.group()) and
                  re.search(r"\d", m.group()) else m.group(), last)  # "-HRh2jRy4g" ids
    toks = [t for t in re.split(r"[-_+\s]+", _fold(last)) if t]
    return toks if sum(t.isalpha() for t in toks) >= 3 else []


def _text_tokens(s: str) -> list[str]:
    s = re.sub(r"(?<=\d)[.,](?=\d)", "", _fold(s))
    return [t for t in re.split(r"[^0-9a-z]+", s) if t]


def _slug_score(slug: list[str], line: str) -> float:
    toks = _text_tokens(line)
    if not slug or not toks:
        return 0.0
    sm = SequenceMatcher(None, slug, toks, autojunk=False)
    common = sum(b.size for b in sm.get_matching_blocks())
    if common == 0:
        return 0.0
    p, r = common / len(toks), common / len(slug)
    return 2 * p * r / (p + r)


# ---------------------------------------------------------------------------------------------
# the article

def content_hash(text: str, title: str | None, published: str | None, url: str | None) -> str:
    h = hashlib.sha256()
    for part in (text, title or "", published or "", url or ""):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def text_hash(text: str) -> str:
    """Identity of an article's words alone (tone placement, Unicode form, spacing and case
    ignored): the same article saved under two file names has one."""
    norm = " ".join(vntext.normalize(text).split()).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def _same(a: str, b: str) -> bool:
    fa, fb = " ".join(_text_tokens(a)), " ".join(_text_tokens(b))
    return bool(fa) and (fa == fb or (len(fa) > 20 and (fa.startswith(fb) or fb.startswith(fa))
                                      and min(len(fa), len(fb)) / max(len(fa), len(fb)) > 0.8))


def _field(fields: dict, key: str) -> str | None:
    v = fields.get(key)
    if v is None:
        return None
    v = re.sub(r"\s+", " ", str(v)).strip()
    return v or None


def _domain_name(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url).netloc.lower().split(":")[0]
    return host[4:] if host.startswith("www.") else (host or None)


_SITES = {
    "dantri.com.vn": "Dân trí", "vnexpress.net": "VnExpress", "tuoitre.vn": "Tuổi Trẻ",
    "thanhnien.vn": "Thanh Niên", "vietnamnet.vn": "VietNamNet", "nhandan.vn": "Nhân Dân",
    "baomoi.com": "Báo Mới", "vov.vn": "VOV", "vtv.vn": "VTV", "laodong.vn": "Lao Động",
    "tienphong.vn": "Tiền Phong", "nld.com.vn": "Người Lao Động", "zingnews.vn": "Znews",
    "znews.vn": "Znews", "vietnamplus.vn": "VietnamPlus", "baochinhphu.vn": "Báo Chính phủ",
    "qdnd.vn": "Quân đội nhân dân", "cand.com.vn": "Công an nhân dân", "plo.vn": "Pháp Luật TP.HCM",
    "sggp.org.vn": "Sài Gòn Giải Phóng", "kenh14.vn": "Kenh14", "cafef.vn": "CafeF",
    "vneconomy.vn": "VnEconomy", "tuyengiao.vn": "Tuyên giáo", "baosonla.org.vn": "Báo Sơn La",
    "suckhoedoisong.vn": "Sức khỏe & Đời sống", "giaoducthoidai.vn": "Giáo dục & Thời đại",
    "congan.com.vn": "Công an TP.HCM", "baotintuc.vn": "Báo Tin tức", "vtc.vn": "VTC News",
}


def _known_site(url: str | None) -> str | None:
    return _SITES.get(_domain_name(url) or "")


def _analyse_header(paras: list[str], slug: list[str], field_title: str | None):
    """The header zone: date lines, the article's date line, the headline, the lines above it."""
    limit = 0
    while limit < min(len(paras), 8) and (_words(paras[limit]) <= 40 and len(paras[limit]) <= 300):
        limit += 1
    head = list(range(limit))
    dates: dict[int, tuple[str, bool]] = {}
    for i in head:
        got = parse_date_line(paras[i])
        if got:
            dates[i] = got
    # page "today" bar: date without time on the first line, followed by another date line or a
    # short section line
    page_date: set[int] = set()
    if 0 in dates and not dates[0][1]:
        later = [i for i in dates if i > 0]
        nxt = paras[1] if len(paras) > 1 else ""
        if later or (nxt and 1 not in dates and _is_section_line(nxt)):
            page_date.add(0)
    article_dates = [i for i in sorted(dates) if i not in page_date]
    # prefer a date line with a time
    d_idx = next((i for i in article_dates if dates[i][1]), article_dates[0] if article_dates else None)

    non_date = [i for i in head if i not in dates]
    title_idx = None
    how = None
    if field_title:
        for i in range(min(len(paras), 8)):
            if i not in dates and _same(paras[i], field_title):
                title_idx, how = i, "field"
                break
    if title_idx is None and slug:
        scored = [(i, _slug_score(slug, paras[i])) for i in range(min(len(paras), 8)) if i not in dates
                  and _headline_like(paras[i], allow_period=True)]
        if scored:
            i, sc = max(scored, key=lambda x: x[1])
            if sc >= 0.7:
                title_idx, how = i, "slug"
    if title_idx is None and not field_title:
        if d_idx is not None:
            above = d_idx - 1
            if above >= 0 and above in non_date and not _is_section_line(paras[above]) and \
                    not _is_name_line(paras[above]) and _headline_like(paras[above], allow_period=True):
                title_idx, how = above, "above-date"
            else:
                for i in non_date:
                    if i > d_idx and _headline_like(paras[i], allow_period=True) and not _is_name_line(paras[i]):
                        title_idx, how = i, "below-date"
                        break
        else:
            cands = [i for i in non_date]
            for k, i in enumerate(cands):
                s = paras[i]
                nxt = cands[k + 1] if k + 1 < len(cands) else None
                skippable = _is_name_line(s) or _is_section_line(s)
                if skippable and nxt is not None and _headline_like(paras[nxt], allow_period=False):
                    continue
                if _headline_like(s, allow_period=False) and not _is_name_line(s) and _words(s) >= 5 and \
                        (not slug or _slug_score(slug, s) >= 0.5):
                    # (a readable URL slug that does not match at all says the headline is not here:
                    # the first line is then a caption or an intertitle)
                    title_idx, how = i, "first-line"
                break
    # short lines above the headline are page furniture (site name, section); longer ones stay
    sections = [i for i in non_date if title_idx is not None and i < title_idx
                and _words(paras[i]) <= 15 and not re.search(r"[.!?…]$", paras[i])]
    return dates, d_idx, title_idx, how, sections


def _tail(paras: list[str]):
    """Byline, source and url from the last paragraphs; returns (n_drop, author, source, url)."""
    author = source = url = None
    drop = 0
    k = len(paras)
    steps = 0
    while k > 0 and steps < 5:
        steps += 1
        s = paras[k - 1]
        m = _SOURCE_LINE.match(s)
        if m and (_URL_RE.search(m.group("rest")) or len(m.group("rest")) <= 80):
            rest = m.group("rest").strip()
            u = _URL_RE.search(rest)
            if u:
                url = url or u.group(0).rstrip(").,;")
                name = m.group("name").strip() or rest[:u.start()].strip(" -–:")
            else:
                name = m.group("name").strip() or rest
            if name and not _URL_RE.match(name):
                source = source or name.strip(" -–:")
            k -= 1
            continue
        m = _SOURCE_PLAIN.match(s)
        if m:
            source = source or m.group("name").strip()
            k -= 1
            continue
        if _URL_RE.fullmatch(s.strip("()<> ")):
            url = url or s.strip("()<> ")
            k -= 1
            continue
        m = re.match(rf"^(?P<who>.{{2,40}}?[{_LOWER}])\s?Theo\s+(?P<src>[^.:;!?]{{2,60}})$", s)  # "Minh PhươngTheo Reuters"
        if m and _person_name(m.group("who")):
            author = author or _person_name(m.group("who"))
            source = source or m.group("src").strip()
            k -= 1
            continue
        m = _THEO_LINE.match(s)
        if m:
            source = source or m.group("name").strip()
            k -= 1
            continue
        if _CREDIT_LINE.match(s):
            k -= 1
            continue
        if author is None:
            name = _person_name(s) if _words(s) <= 20 else None
            if name:
                author = name
                k -= 1
                continue
            # a role line under the byline: "Phó Trưởng ban … Tỉnh ủy Đắk Lắk"
            if k >= 2 and _words(s) <= 20 and not re.search(r"[.!?…]$", s) and _ROLE_WORDS.search(s) \
                    and s[0].isupper() and _person_name(paras[k - 2]) and _words(paras[k - 2]) <= 6:
                author = _person_name(paras[k - 2])
                k -= 2
                continue
        break
    drop = len(paras) - k
    return drop, author, source, url


_INLINE_THEO = re.compile(r"(?<=[.!?…\"”)\]])\s+\(?Theo\s+(?P<src>[^.()!?]{2,40}?)\)?\.?\s*$")
_INLINE_TH = re.compile(r"\s*\((?:T/h|TH|tổng hợp|theo [^)]{2,40})\)\s*$", _I)
_INLINE_NAME = re.compile(rf"(?<=[.!?…\"”)\]])\s+(?P<name>{_NAME_TOK}(?:\s+{_NAME_TOK}){{1,3}})\s*$")


def _inline_tail(last: str) -> tuple[str, str | None, str | None]:
    """A byline glued to the end of the last paragraph: "… 1,41 tỷ đồng). Hồng Quân"."""
    author = source = None
    s = last
    m = _INLINE_THEO.search(s)
    if m:
        source = m.group("src").strip()
        s = s[:m.start()]
    m2 = _INLINE_TH.search(s)
    s2 = s[:m2.start()] if m2 else s
    m = _INLINE_NAME.search(s2)
    if m and len(m.group("name")) <= 30 and not find_provinces(m.group("name")):
        author = m.group("name")
        s = s2[:m.start()]
    elif m2 and source is None:
        s = s2
    return s.rstrip(), author, source


def _published(fields: dict, header_date: str | None, body: list[str], url: str | None) -> str | None:
    """field > the article's date line > a dateline opening the body > a date found in the page
    by htmldate > a date in the URL."""
    published = parse_date(fields.get("date")) if fields.get("date") is not None else None
    published = published or header_date
    for p in body[:2]:
        if published:
            break
        published = body_dateline(p)
    found = parse_date(fields.get("date_found")) if fields.get("date_found") else None
    return published or found or date_from_url(url)


def _site_and_category(paras: list[str], sections: list[int], category: str | None) -> tuple[str | None, str | None]:
    """Lines above the headline: an organisation's name is the site, anything else the section."""
    site_name = None
    for i in sections:
        s = paras[i]
        if _is_name_line(s) and _ORG_NAME.match(s):
            site_name = site_name or s
        else:
            category = category or s
    return site_name, category


def _main_province(text: str, title: str | None, source_name: str | None,
                   site_name: str | None) -> tuple[list[str], str | None]:
    provinces, province = provinces_and_main(text, title)
    if province is None and source_name:
        src_prov = find_provinces(source_name)
        if src_prov and src_prov[0] in provinces:
            province = src_prov[0]
    if province is None and len(provinces) == 1 and site_name:
        province = provinces[0]
    return provinces, province


def build_article(item: RawItem) -> Article:
    """An ``Article`` from an item whose text ``clean.clean_item`` has cleaned (paragraphs
    separated by blank lines): headline, dates, byline and source lines move to metadata."""
    fields = dict(item.fields or {})
    paras = [p for p in item.text.split("\n\n") if p.strip()]
    f_title = _field(fields, "title")
    f_url = _field(fields, "url")
    if f_url and not re.match(r"https?://", f_url):
        f_url = None

    # tail first: the "Nguồn …: url" line gives the URL whose slug finds the headline
    n_tail, author, t_source, t_url = _tail(paras)
    body_end = len(paras) - n_tail
    url = f_url or t_url
    dates, d_idx, title_idx, _how, sections = _analyse_header(paras[:body_end], _slug_tokens(url), f_title)
    title = f_title or (paras[title_idx] if title_idx is not None else None)
    drop = set(dates) | ({title_idx} if title_idx is not None else set()) | set(sections)
    body = [p for i, p in enumerate(paras[:body_end]) if i not in drop]
    published = _published(fields, dates[d_idx][0] if d_idx is not None else None, body, url)

    # a byline glued to the last paragraph (single-paragraph bodies from aggregators)
    if author is None and body:
        last, a2, s2 = _inline_tail(body[-1])
        if a2 or s2:
            author, t_source = a2, t_source or s2
            body[-1] = last
            if not body[-1].strip():
                body.pop()

    site_name, category = _site_and_category(paras, sections, _field(fields, "category"))
    # the publication of the URL first (the "Nguồn X: url" line names it), then "Theo X"/"Nguồn X"
    url_source = t_source if (t_source and t_url and url == t_url) else _known_site(url)
    source_name = _field(fields, "source") or url_source or t_source or site_name or _domain_name(url)
    text = "\n\n".join(body)
    provinces, province = _main_province(text, title, source_name, site_name)
    return Article(doc_id=item.doc_id, source=item.source, text=text,
                   content_hash=content_hash(text, title, published, url), text_hash=text_hash(text),
                   title=title, published=published, url=url, source_name=source_name,
                   author=_field(fields, "author") or author, category=category,
                   provinces=provinces, province=province, doc_number=_field(fields, "number"),
                   ocr=bool(fields.get("ocr")))
