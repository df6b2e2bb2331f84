"""rag.vntext: display/index/fold forms, tokens, sentence spans, unaccented detection."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import vntext
from rag.vntext import (
    display,
    fold,
    has_diacritics,
    is_unaccented,
    normalize,
    sentences,
    split_sentences,
    syllables,
    words,
)

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# ---------------------------------------------------------------------------
# display


def test_display_cleans_invisible_spaces_and_line_ends():
    assert display("Ban\u00a0Tuyên\u202fgiáo") == "Ban Tuyên giáo"
    assert display("Tuyên\u200bgiáo\ufeff\u200c\u200d") == "Tuyêngiáo"
    assert display("a\r\nb\rc\u2028d") == "a\nb\nc\nd"
    assert display("x\u3000y\u2003z") == "x y z"
    assert display("tab\tstays") == "tab\tstays"


def test_display_composes_nfd_but_keeps_article_spelling():
    assert display(nfd("Đắk Lắk hoà thuỷ")) == "Đắk Lắk hoà thuỷ"
    # a zero-width joiner between letter and mark must not block composition
    assert display("a\u200d\u0301") == "á"
    assert display("hoà") == "hoà"  # display never re-places tones


# ---------------------------------------------------------------------------
# normalize: tone placement


@pytest.mark.parametrize(
    "variants, expected",
    [
        (["hoà", "hòa"], "hòa"),
        (["thuỷ", "thủy"], "thủy"),
        (["qúy", "quý"], "quý"),
        (["hoá", "hóa"], "hóa"),
        (["khoẻ", "khỏe"], "khỏe"),
        (["hoè", "hòe"], "hòe"),
        (["luỹ", "lũy"], "lũy"),
        (["tuỵ", "tụy"], "tụy"),
        (["muà", "mùa"], "mùa"),
        (["gìa", "già"], "già"),
        (["gịa", "giạ"], "giạ"),
        (["ngòai", "ngoài", "ngoaì"], "ngoài"),
        (["khủyu", "khuỷu", "khuyủ"], "khuỷu"),
        (["hòang", "hoàng"], "hoàng"),  # final consonant: last vowel
        (["húyt", "huýt"], "huýt"),
        (["nguỹên", "nguyễn"], "nguyễn"),  # shaped vowel wins
        (["ngừơi", "người"], "người"),
        (["rựơu", "rượu"], "rượu"),
        (["thủơ", "thuở"], "thuở"),
        (["thúê", "thuế"], "thuế"),
        (["họăc", "hoặc"], "hoặc"),
        (["qùa", "quà"], "quà"),
        (["gìư", "giừ"], "giừ"),
        (["gìn"], "gìn"),  # lone i after g is the nucleus
        (["xoáy", "xóay"], "xoáy"),
    ],
)
def test_normalize_old_style_placement(variants, expected):
    for v in variants:
        assert normalize(v) == expected, v
        assert normalize(v.upper()) == expected.upper(), v
        assert normalize(v.capitalize()) == expected.capitalize(), v
        assert normalize(nfd(v)) == expected, v


def test_normalize_sentence_keeps_everything_but_tone_position():
    src = "Ban Tuyên giáo Tỉnh uỷ Đắk Lắk tổ chức Hội nghị; thuỷ lợi, hoà bình, sức khoẻ."
    out = normalize(src)
    assert out == "Ban Tuyên giáo Tỉnh ủy Đắk Lắk tổ chức Hội nghị; thủy lợi, hòa bình, sức khỏe."
    assert len(out) == len(src)
    assert fold(out) == fold(src)


def test_normalize_leaves_non_vietnamese_words_alone():
    for w in ["Raúl", "Sáez", "José", "café", "Hyundai", "coöperate", "naïve"]:
        assert normalize(w) == w
    assert normalize("hoà\u0304") == normalize(normalize("hoà\u0304"))


def test_normalize_applies_display():
    assert normalize("hoà\u00a0bình\r\n") == "hòa bình\n"


# ---------------------------------------------------------------------------
# fold / has_diacritics


def test_fold():
    assert fold("Trưởng ban Tuyên giáo Đắk Lắk") == "Truong ban Tuyen giao Dak Lak"
    assert fold("ĂÂÊÔƠƯĐ ăâêôơưđ Ỹ ự") == "AAEOOUD aaeooud Y u"
    assert fold(nfd("Nguyễn Thị Kiều Hương")) == "Nguyen Thi Kieu Huong"
    assert fold("04-QĐ/TW, 11,5%") == "04-QD/TW, 11,5%"
    assert fold("plain ascii") == "plain ascii"


def test_has_diacritics():
    assert has_diacritics("Đà Nẵng")
    assert has_diacritics("đ")
    assert has_diacritics(nfd("á"))
    assert has_diacritics("café")
    assert not has_diacritics("Da Nang 2023, (GMT+7)")
    assert not has_diacritics("")


# ---------------------------------------------------------------------------
# syllables


def test_syllables_numbers_and_dates():
    assert syllables("Có 9/15 Ban Tuyên giáo cấp huyện") == [
        "có", "9/15", "ban", "tuyên", "giáo", "cấp", "huyện",
    ]
    assert syllables("thực hiện bình quân 11,5 buổi") == ["thực", "hiện", "bình", "quân", "11,5", "buổi"]
    assert syllables("Quy định số 04-QĐ/TW ngày 25/7/2018") == [
        "quy", "định", "số", "04", "qđ", "tw", "ngày", "25/7/2018",
    ]
    assert syllables("(1) 100% cơ sở có ít nhất 01 mô hình") == [
        "1", "100", "cơ", "sở", "có", "ít", "nhất", "01", "mô", "hình",
    ]
    assert syllables("hơn 1.000 người, ngày 25.7.2018, lúc 13:15.") == [
        "hơn", "1.000", "người", "ngày", "25.7.2018", "lúc", "13:15",
    ]
    assert syllables("giai đoạn 2020-2025") == ["giai", "đoạn", "2020", "2025"]


def test_syllables_drop_punctuation_and_normalize():
    assert syllables("… “Vì sự nghiệp” – !!! ./.") == ["vì", "sự", "nghiệp"]
    assert syllables("Tỉnh Uỷ HOÀ BÌNH") == ["tỉnh", "ủy", "hòa", "bình"]
    assert syllables(nfd("Thuỷ")) == ["thủy"]
    assert syllables("a_b") == ["a", "b"]
    assert syllables("") == []


# ---------------------------------------------------------------------------
# words (pyvi)


def test_words_multi_syllable_only_lowercase_normalized():
    text = "Ban Tuyên giáo Tỉnh uỷ tổ chức, thuỷ lợi"
    ws = words(text)
    assert "tuyên_giáo" in ws
    assert "thủy_lợi" in ws  # normalize() form, not the article's "thuỷ"
    assert all("_" in w and w == w.lower() for w in ws)
    syl = syllables(text)
    for w in ws:  # every compound is a run of adjacent syllables of the input
        parts = w.split("_")
        assert any(syl[i : i + len(parts)] == parts for i in range(len(syl))), w


def test_words_never_cross_lines_or_punctuation():
    ws = words("Ban Tuyên\ngiáo Tỉnh ủy. Tuyên, giáo")
    assert "tuyên_giáo" not in ws
    assert words("") == [] and words(" \n ") == [] and words("!!! ...") == []


def test_words_loads_pyvi_once():
    words("tuyên giáo")
    assert vntext._vi_tokenizer() is vntext._vi_tokenizer()
    assert vntext._vi_tokenizer.cache_info().currsize == 1


# ---------------------------------------------------------------------------
# split_sentences


def test_split_sample_article_lines():
    text = (SAMPLE / "000_dcdfc6636e64646c.txt").read_text(encoding="utf-8")
    got = sentences(text)
    assert got[0] == (
        "Đoàn công tác Vụ Tổ chức, cán bộ, Ban Tuyên giáo Trung ương làm việc với Ban Tuyên giáo Tỉnh ủy."
    )
    assert got[1].startswith("Thực hiện Quy định số 04-QĐ/TW ngày 25/7/2018 của Ban Bí thư")
    assert got[1].endswith("theo đúng lộ trình.")
    assert got[2].startswith("Sau 5 năm thực hiện")
    # "… Đồng thời" ends a sentence
    assert any(s.endswith("tại địa phương…") for s in got)
    assert any(s.startswith("Đồng thời, Vụ Tổ chức") for s in got)
    assert got[-1].startswith("Nguồn Báo Sơn La: https://baosonla.org.vn/thoi-su-chinh-tri/doan-cong-tac-")
    assert got[-1].endswith(".html")
    assert got[-2] == "Huy Thành"


def test_split_numbered_items_and_percentages():
    text = (
        "cụ thể đó là: (1) 100% cơ sở có ít nhất 01 mô hình, công trình (vượt 54%). "
        "(2) 100% đảng bộ cơ sở đảm bảo điều kiện. (3) Đội ngũ thực hiện bình quân 11,5 buổi."
    )
    assert sentences(text) == [
        "cụ thể đó là: (1) 100% cơ sở có ít nhất 01 mô hình, công trình (vượt 54%).",
        "(2) 100% đảng bộ cơ sở đảm bảo điều kiện.",
        "(3) Đội ngũ thực hiện bình quân 11,5 buổi.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ông về TP. Hồ Chí Minh công tác.",
        "Bà là TS. Nguyễn Thị Hà và ThS. Lê Văn Nam.",
        "Gặp PGS.TS. Trần Văn A, GS. Bùi Hữu, BS. Lan và Th.S. Hòa.",
        "Địa chỉ: số 5, P. Bến Nghé, Q. 1, TP.HCM.",
        "Các loại rau, củ v.v. được bán ở chợ.",
        "Tác giả Nguyễn H. Nam viết bài.",
        "Ngày 25.7.2018 tỷ lệ đạt 3.5 lần, hơn 1.000 người và 11,5 buổi.",
        "Xem https://baosonla.org.vn/thoi-su/tin.html và baosonla.org.vn ngay.",
        "Anh nói: “Tôi đã cố gắng… Nhưng không được” rồi đi.",
        "Anh nói: \"Thôi... Để mai\" rồi đi.",
        "Hôm nay? không ai biết! cả.",
    ],
)
def test_split_no_false_breaks(text):
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Xong rồi. Đội ngũ về.", ["Xong rồi.", "Đội ngũ về."]),
        ("Thật sao? Ừ, thật! Ân hận.", ["Thật sao?", "Ừ, thật!", "Ân hận."]),
        ("Còn nữa… Đồng thời tốt.", ["Còn nữa…", "Đồng thời tốt."]),
        ("Năm nay tăng. 2023 là năm bản lề.", ["Năm nay tăng.", "2023 là năm bản lề."]),
        ("Ông nói: “Đi thôi.” Bà gật đầu.", ["Ông nói: “Đi thôi.”", "Bà gật đầu."]),
        ("Tốt. “Tuyên giáo” là ngành.", ["Tốt.", "“Tuyên giáo” là ngành."]),
        ("những năm tiếp theo./. Vân Khánh", ["những năm tiếp theo./.", "Vân Khánh"]),
        ("Việc này xong. 1. Tuổi Thìn tốt. 2. Tuổi Hợi", ["Việc này xong.", "1. Tuổi Thìn tốt.", "2. Tuổi Hợi"]),
        ("Hết hạn. b) Kiểm tra lại.", ["Hết hạn.", "b) Kiểm tra lại."]),
        ("Một dòng\nHai dòng không dấu chấm", ["Một dòng", "Hai dòng không dấu chấm"]),
        ("  \n\n Đoạn một.  \r\n\tĐoạn hai \n", ["Đoạn một.", "Đoạn hai"]),
        ("tại Sơn La. Ảnh: Đoàn Hiếu", ["tại Sơn La.", "Ảnh: Đoàn Hiếu"]),
    ],
)
def test_split_breaks(text, expected):
    assert sentences(text) == expected


def test_split_list_label_at_line_start():
    assert sentences("1. Tiếp tục nâng cao. Thực hiện tốt.\nIV. Kết luận") == [
        "1. Tiếp tục nâng cao.",
        "Thực hiện tốt.",
        "IV. Kết luận",
    ]


def test_split_empty_and_blank():
    assert split_sentences("") == []
    assert split_sentences(" \n\t \r\n") == []


# ---------------------------------------------------------------------------
# is_unaccented


@pytest.mark.parametrize(
    "text",
    [
        "tinh nao bo tri truong ban tuyen giao",
        "Truong ban Tuyen giao Dak Lak la ai",
        "bao nhieu huyen o Son La",
        "ai la bi thu tinh uy Lang Son",
        "TINH NAO CO NHIEU HUYEN NHAT",
        "co 9/15 ban tuyen giao cap huyen",
        "Xe su dung dong co gi",
    ],
)
def test_is_unaccented_true(text):
    assert is_unaccented(text)


@pytest.mark.parametrize(
    "text",
    [
        "Which province appointed the head of the propaganda board?",
        "Who is the head of Son La",
        "The man can do it",
        "I am in Son La now",
        "What is the capital of Vietnam",
        "tỉnh nào bố trí trưởng ban tuyên giáo",  # accented
        "tinh nao bo tri truong ban tuyên giao",  # one accented word is enough
        "Dak Lak",  # fewer than 3 words
        "USD GDP WTO 2023",
        "",
    ],
)
def test_is_unaccented_false(text):
    assert not is_unaccented(text)


def test_folded_sample_sentences_are_unaccented():
    text = (SAMPLE / "002_0dfad15aa9fa3ad3.txt").read_text(encoding="utf-8")
    long_sents = [s for s in sentences(text) if len(s.split()) >= 8]
    assert len(long_sents) >= 10
    assert all(not is_unaccented(s) for s in long_sents)
    assert all(is_unaccented(fold(s)) for s in long_sents)


# ---------------------------------------------------------------------------
# Properties

ONSETS = ["", "b", "ch", "đ", "g", "gi", "h", "kh", "l", "m", "ng", "nh", "ph", "qu", "th", "tr", "x"]
RHYMES = (
    "a ai ao au ay âu ây an ang anh ăn âm e eo ê êu ênh i ia iu iêu iên iêng o oi ô ôi ơ ơi "
    "oa oai oay oan oang oanh oăn oe oeo oen u ua ui uy uya uyu uynh uyt uyên uân uê uôi "
    "uông ư ưa ưi ưu ươi ươu ương ươc y yên yêu"
).split()
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
VOWELS = set("aăâeêioôơuưy")


def place(onset: str, rhyme: str, tone: int, pos: int) -> str:
    """The syllable with its tone mark on the pos-th vowel (mod the vowel count)."""
    s = onset + rhyme
    idx = [i for i, c in enumerate(s) if c in VOWELS]
    i = idx[pos % len(idx)]
    return unicodedata.normalize("NFC", s[: i + 1] + TONES[tone] + s[i + 1 :])


syllable_parts = st.tuples(
    st.sampled_from(ONSETS), st.sampled_from(RHYMES), st.integers(0, 5), st.integers(0, 3)
)


@st.composite
def vn_syllable(draw):
    onset, rhyme, tone, pos = draw(syllable_parts)
    s = place(onset, rhyme, tone, pos)
    case = draw(st.sampled_from(["lower", "upper", "title"]))
    return s.upper() if case == "upper" else s.capitalize() if case == "title" else s


vn_text = st.lists(
    st.one_of(vn_syllable(), st.sampled_from([" ", " ", ", ", ". ", "\n", "-", "/", "11,5", "25/7/2018", "“", "”"])),
    max_size=40,
).map("".join)


@given(syllable_parts, st.integers(0, 3))
def test_prop_tone_variants_map_together(parts, other_pos):
    onset, rhyme, tone, pos = parts
    a, b = place(onset, rhyme, tone, pos), place(onset, rhyme, tone, other_pos)
    assert normalize(a) == normalize(b)
    assert normalize(a.upper()) == normalize(b.upper()) == normalize(a).upper()
    out = normalize(a)
    assert fold(out) == fold(onset + rhyme)
    # exactly one toned vowel survives (none when there was no tone)
    toned = [c for c in nfd(out) if c in TONES[1:]]
    assert toned == ([TONES[tone]] if tone else [])


@given(vn_text)
def test_prop_normalize_idempotent_and_only_moves_tones(x):
    n = normalize(x)
    assert normalize(n) == n
    assert len(n) == len(display(x))
    assert fold(n) == fold(display(x))
    assert normalize(nfd(x)) == n


@given(vn_text)
def test_prop_syllables_stable_under_normalize(x):
    assert syllables(normalize(x)) == syllables(x)
    assert syllables(nfd(x)) == syllables(x)
    assert all(t and t == t.lower() for t in syllables(x))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_prop_normalize_idempotent_any_unicode(x):
    n = normalize(x)
    assert normalize(n) == n
    assert display(display(x)) == display(x)
    assert len(fold(display(x))) <= len(display(x))


FRAGMENTS = [
    "Ban", "tuyên", "giáo", "Đảng", "Ủy", "Âu", "2023", "11,5", "25.7.2018", "19/5", "(1)", "a)",
    "TP.", "ThS.", "Q.", "H.", "v.v.", "./.", ".", "!", "?", "…", "...", "“", "”", "\"", "(", ")",
    " ", " ", "  ", "\n", "\r\n", "\t", "\u00a0", "\u2028", "https://baosonla.org.vn/a.html",
]
split_text = st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join), st.text())


@given(split_text)
def test_prop_split_spans_cover_text(text):
    spans = split_sentences(text)
    prev_end = 0
    for start, end in spans:
        assert prev_end <= start < end <= len(text)
        assert text[prev_end:start].strip() == ""  # only whitespace between spans
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert not any(c in text[start:end] for c in "\n\r\u2028\u2029")  # line breaks end sentences
        prev_end = end
    assert text[prev_end:].strip() == ""
    # every non-whitespace character is in exactly one span
    covered = sum(end - start for start, end in spans)
    inside_ws = sum(1 for s, e in spans for c in text[s:e] if c.isspace())
    assert covered - inside_ws == sum(1 for c in text if not c.isspace())
    assert sentences(text) == [text[s:e] for s, e in spans]


@pytest.mark.parametrize("question, lang", [
    ("On what date did the Dak Lak Propaganda Department issue Plan 25-KH/BTGTU?", "en"),
    ("Which provinces appointed the head of the Propaganda Department?", "en"),
    ("tinh nao bo tri truong ban tuyen giao dong thoi la giam doc", "vi"),
    ("Kế hoạch số 25-KH/BTGTU ban hành ngày nào?", "vi"),
    ("COVID-19", "vi"),
])
def test_question_language_survives_names_and_missing_accents(question, lang):
    from rag.questions import detect_language

    assert detect_language(question) == lang
