"""Province gazetteer: names, variants, false positives, the main province, user input."""
from __future__ import annotations

import pytest

from rag.gazetteer import (ALL_PROVINCES, MERGED_2025, PROVINCES_2025, find_provinces, main_province,
                           match_province, province_2025)
from tests.conftest import SAMPLE


def test_the_63_units_and_the_34_after_the_2025_merger():
    assert len(ALL_PROVINCES) == 63 == len(set(ALL_PROVINCES))
    for name in ("Hà Nội", "TP Hồ Chí Minh", "Đắk Lắk", "Đắk Nông", "Thừa Thiên Huế", "Bà Rịa - Vũng Tàu",
                 "Bắc Kạn", "Kon Tum", "Hòa Bình", "Sơn La", "Lạng Sơn", "Điện Biên", "Lào Cai", "Cà Mau"):
        assert name in ALL_PROVINCES
    assert len(PROVINCES_2025) == 34 == len(set(PROVINCES_2025))
    assert "Huế" in PROVINCES_2025 and "Hà Giang" not in PROVINCES_2025
    assert set(MERGED_2025) == set(ALL_PROVINCES)
    assert MERGED_2025["Hà Giang"] == "Tuyên Quang"
    assert MERGED_2025["Bình Dương"] == MERGED_2025["Bà Rịa - Vũng Tàu"] == "TP Hồ Chí Minh"
    assert MERGED_2025["Quảng Nam"] == "Đà Nẵng" and MERGED_2025["Kon Tum"] == "Quảng Ngãi"
    assert province_2025("Thừa Thiên Huế") == "Huế" and province_2025("yen bai") == "Lào Cai"
    # every unit after the merger is one of the old names (Huế aside)
    assert set(PROVINCES_2025) - {"Huế"} <= set(ALL_PROVINCES)


@pytest.mark.parametrize("text, expected", [
    ("Tỉnh Đăk Lăk và Daklak, Đắc Lắc", ["Đắk Lắk"]),
    ("Đăk Nông giáp Đắk Nông", ["Đắk Nông"]),
    ("Kontum, rồi Kon Tum", ["Kon Tum"]),
    ("Bắc Cạn xưa, Bắc Kạn nay", ["Bắc Kạn"]),
    ("TP.HCM, TP HCM, TPHCM, TP. Hồ Chí Minh, Thành phố Hồ Chí Minh, Sài Gòn", ["TP Hồ Chí Minh"]),
    ("Thừa Thiên - Huế và cố đô Huế", ["Thừa Thiên Huế"]),
    ("Hoà Bình và Hòa Bình, Khánh Hoà", ["Hòa Bình", "Khánh Hòa"]),
    ("Bà Rịa – Vũng Tàu", ["Bà Rịa - Vũng Tàu"]),
    ("Mưa lớn ở Sơn La, Lai Châu rồi Hà Nội; Sơn La thiệt hại nặng", ["Sơn La", "Lai Châu", "Hà Nội"]),
])
def test_spelling_variants_and_first_mention_order(text, expected):
    assert find_provinces(text) == expected


@pytest.mark.parametrize("text", [
    "Học tập và làm theo tư tưởng Hồ Chí Minh",
    "Đoàn thanh niên Cộng sản Hồ Chí Minh Khối các cơ quan",
    "Chúng ta cùng nhau giữ gìn hòa bình cho thế giới",
    "đồng chí Nguyễn Trọng Sơn phát biểu",
    "Phó Thủ tướng Nguyễn Hòa Bình làm việc",
    "bà Nguyễn Thị Huế, ông Lê Khánh Hòa",
    "khu vực châu Á - Thái Bình Dương",
    "cây này cao bằng nhau, thái bình thịnh trị",
    "xã Hòa Bình, phố Huế",
])
def test_no_false_positives(text):
    assert find_provinces(text) == []


def test_lang_son_does_not_also_give_son_la():
    assert find_provinces("Ban Tuyên giáo Tỉnh ủy Lạng Sơn") == ["Lạng Sơn"]
    assert find_provinces("Lạng Sơn La Thị Nhung") == ["Lạng Sơn"]


def test_case_rules_all_caps_and_cues():
    assert find_provinces("LŨ QUÉT Ở SƠN LA VÀ ĐIỆN BIÊN") == ["Sơn La", "Điện Biên"]
    assert find_provinces("ĐẠI HỘI VÌ HÒA BÌNH") == []  # ambiguous name in capitals, no cue
    assert find_provinces("MƯA LŨ Ở TỈNH HÒA BÌNH") == ["Hòa Bình"]
    assert find_provinces("lũ ở tỉnh hòa bình") == ["Hòa Bình"]  # lower case with a cue
    assert find_provinces("thủ đô hà nội") == ["Hà Nội"]  # unambiguous name in lower case
    assert find_provinces("huyện Quảng Ninh (Quảng Bình)") == ["Quảng Bình"]  # a district, not the province
    assert find_provinces("thành phố Lào Cai") == ["Lào Cai"]


def test_main_province_weights_cues_title_and_finds_a_late_mention():
    text = (SAMPLE / "000_dcdfc6636e64646c.txt").read_text(encoding="utf-8")
    assert main_province(text) == "Sơn La"
    body = ("Ban Tuyên giáo Tỉnh ủy Lạng Sơn khảo sát. Đoàn đã đến Nghệ An báo công. "
            "Tỉnh ủy Lạng Sơn chỉ đạo. Hà Nội cũng gửi lời chúc.")
    assert main_province(body) == "Lạng Sơn"
    assert main_province("Hà Nội có mưa. Hà Nội rét.", title="Quảng Ninh đón khách") == "Quảng Ninh"
    assert main_province("Không nhắc tới địa phương nào.") is None
    long_text = "Nội dung về kinh tế thế giới. " * 40 + "Đại diện tại Hà Nội cho biết."
    assert main_province(long_text) is None  # one passing mention far down is not the subject


@pytest.mark.parametrize("query, expected", [
    ("son la", "Sơn La"), ("Sơn La", "Sơn La"), ("dak lak", "Đắk Lắk"), ("daklak", "Đắk Lắk"),
    ("tp hcm", "TP Hồ Chí Minh"), ("TP.HCM", "TP Hồ Chí Minh"), ("sai gon", "TP Hồ Chí Minh"),
    ("ho chi minh", "TP Hồ Chí Minh"), ("hue", "Thừa Thiên Huế"), ("hoa binh", "Hòa Bình"),
    ("Hoà Bình", "Hòa Bình"), ("tỉnh Kon Tum", "Kon Tum"), ("ba ria vung tau", "Bà Rịa - Vũng Tàu"),
    ("bac can", "Bắc Kạn"), ("ha noi", "Hà Nội"), ("HÀ NỘI", "Hà Nội"),
    ("xyz", None), ("", None),
])
def test_match_province_user_input(query, expected):
    assert match_province(query) == expected
