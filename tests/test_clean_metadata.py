"""Boilerplate removal and article metadata, on the five real sample pages and on small cases."""
from __future__ import annotations

import hashlib
import re

import pytest

from ingest.clean import clean_item, clean_text, removed_lines
from ingest.dates import date_from_url, parse_date, parse_date_line
from ingest.metadata import build_article
from ingest.readers import RawItem, iter_items
from tests.conftest import SAMPLE


def article_of(item: RawItem):
    """The pipeline's clean → metadata steps."""
    return build_article(clean_item(item))


@pytest.fixture(scope="module")
def articles():
    items = list(iter_items([SAMPLE]))
    return {it.doc_id[:3]: article_of(it) for it in items}


EXPECTED = {
    "000": dict(
        title="Đoàn công tác Vụ Tổ chức, cán bộ, Ban Tuyên giáo Trung ương làm việc với Ban Tuyên giáo Tỉnh ủy.",
        published=None,
        url="https://baosonla.org.vn/thoi-su-chinh-tri/doan-cong-tac-ban-tuyen-giao-trung-uong-lam-viec-voi-"
            "ban-tuyen-giao-tinh-uy-HRh2jRy4g.html",
        source_name="Báo Sơn La", author="Huy Thành", province="Sơn La"),
    "001": dict(
        title="Đoàn công tác của Ban Tuyên giáo Tỉnh ủy Lạng Sơn khảo sát công tác tuyên giáo tại Đảng ủy Khối "
              "các cơ quan tỉnh.",
        published="2023-12-09T13:15", author="La Thị Nhung", province="Lạng Sơn",
        category="Hoạt động Đảng ủy Khối các cơ quan tỉnh Lạng Sơn"),
    "002": dict(
        title="Đổi mới, nâng cao chất lượng, hiệu quả công tác tuyên giáo của Đảng bộ tỉnh Đắk Lắk",
        published="2022-08-10T06:00", author="Trịnh Dũng", province="Đắk Lắk", category="Tuyên giáo các cấp"),
    "003": dict(
        title="Tỉnh ủy Lào Cai xác định các nhiệm vụ trọng tâm công tác tuyên vận năm 2019",
        published=None, author=None, province="Lào Cai", source_name="Tỉnh Ủy Lào Cai"),
    "004": dict(
        title="Điện Biên: Đổi mới phương thức triển khai nhiệm vụ công tác tuyên giáo để thích ứng với dịch "
              "COVID-19",
        published="2020-08-17T09:24", author="Vân Khánh", province="Điện Biên"),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sample_metadata(articles, key):
    a = articles[key]
    for field, value in EXPECTED[key].items():
        assert getattr(a, field) == value, (key, field, getattr(a, field))
    assert a.province in a.provinces
    assert a.doc_id.startswith(key) and a.source.endswith(a.doc_id)


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sample_text_is_the_body_only(articles, key):
    a = articles[key]
    lines = _lines(a.text)
    assert a.title not in lines  # the headline went to metadata
    if a.author:
        assert all(not line.startswith(a.author) for line in lines)
    for junk in ("Phản hồi", "Các tin khác", "Thư viện ảnh", "Liên kết website", "Mới nhất", "Tin liên quan",
                 "Hôm nay : 7", "Tháng 02 : 14.546", "Năm 2020 : 26.127", "Đăng nhập",
                 "Click để đánh giá bài viết", "Tổng số điểm của bài viết là: 0 trong 0 đánh giá",
                 "Tuyên giáo các cấp", "Chủ Nhật, 14/4/2024", "Thứ Năm, 23/5/2024", "Tỉnh Ủy Lào Cai"):
        assert junk not in lines, (key, junk)
    assert not any(line.startswith(("A- A A+", "Nguồn ")) for line in lines)
    assert not any(re.fullmatch(r"(Thứ \w+, )?\d{1,2}[-/]\d{1,2}[-/]\d{4}.*", line) for line in lines)
    # format: paragraphs separated by exactly one blank line, trimmed, NFC, no NBSP
    assert "\n\n\n" not in a.text and "\u00a0" not in a.text and a.text == a.text.strip()
    assert all(line == line.strip() for line in lines)
    assert len(lines) == a.text.count("\n\n") + 1


def test_sample_details(articles):
    a000, a001, a002, a003, a004 = (articles[k] for k in ("000", "001", "002", "003", "004"))
    # the decree date in the first paragraph of 000 is not its publication date
    assert "Quy định số 04-QĐ/TW ngày 25/7/2018" in a000.text and a000.published is None
    assert "https://" not in a000.text
    # repeated photo captions are kept once
    cap2 = "Đồng chí Bùi Văn Cường, Ủy viên Ban Chấp hành Trung ương Đảng, Bí thư Tỉnh ủy làm việc với Ban " \
           "Tuyên giáo Tỉnh ủy. Ảnh: Đoàn Hiếu"
    assert a002.text.count(cap2) == 1
    assert a002.text.count("tổ chức Hội nghị tổng kết công tác tuyên giáo năm 2021") == 1
    cap4 = "huyện Mường Nhé (Điện Biên) tiến hành khử trùng"
    assert a004.text.count(cap4) == 1
    # real content stays, including lines that only look like headers
    assert "15/15 Trung tâm Chính trị cấp huyện đã bố trí Trưởng Ban Tuyên giáo đồng thời là Giám đốc " \
           "Trung tâm chính trị" in a002.text
    assert "Phó Trưởng ban thường trực" not in a002.text  # the byline's role line
    assert "Công tác tuyên vận thu hút đông đảo các tầng lớp nhân dân tham gia xây dựng nông thôn mới" in a003.text
    assert a003.text.endswith("những năm tiếp theo./.")
    # a caption wrapped over two lines in 001 is one paragraph
    assert "Trưởng Ban Tuyên giáo Đảng ủy Khối báo cáo kết quả công tác tuyên giáo năm 2023" in a001.text
    assert a001.provinces == ["Lạng Sơn", "Nghệ An"]  # "Nguyễn Trọng Sơn" is a person
    assert "La Thị Nhung" not in a001.text
    # the hash is sha256 of the indexed content, stable, and changes with the text
    for a in (a000, a002):
        assert re.fullmatch(r"[0-9a-f]{64}", a.content_hash)
    again = article_of(next(iter_items([SAMPLE / "000_dcdfc6636e64646c.txt"])))
    assert again.content_hash == a000.content_hash
    assert a000.content_hash != a002.content_hash


def test_clean_text_on_the_samples_removes_only_boilerplate():
    raw = (SAMPLE / "003_a8e1dbef73c1e8aa.txt").read_text(encoding="utf-8")
    gone = removed_lines(raw)
    assert gone == ["A- A A+ | Chia sẻ bài viết lên facebook Chia sẻ bài viết lên twitter Chia sẻ bài viết lên "
                    "google+", "Tổng số điểm của bài viết là: 0 trong 0 đánh giá", "Click để đánh giá bài viết",
                    "Đăng nhập", "Hôm nay : 7", "Tháng 02 : 14.546", "Năm 2020 : 26.127"]
    raw4 = (SAMPLE / "004_094f586c75aaffa2.txt").read_text(encoding="utf-8")
    assert set(removed_lines(raw4)) >= {"Phản hồi", "Các tin khác", "Thư viện ảnh", "Liên kết website", "Mới nhất"}


def test_clean_text_keeps_sentences_that_contain_boilerplate_words():
    text = "\n".join([
        "Bạn đọc có thể gửi phản hồi về tòa soạn qua email của Ban biên tập.",
        "Xem thêm thông tin chi tiết tại website của Sở Y tế tỉnh Sơn La.",
        "Các tin khác về dịch bệnh sẽ được cập nhật liên tục trong ngày.",
        "Hôm nay : 7 ca mắc mới được ghi nhận tại tỉnh.",
        "Đăng nhập vào hệ thống dịch vụ công, người dân có thể nộp hồ sơ trực tuyến.",
        "Tin liên quan đến vụ việc đang được cơ quan công an xác minh.",
    ])
    assert clean_text(text).split("\n\n") == text.split("\n")


def test_clean_text_rules():
    text = ("  Tiêu đề bài\n\n\n   Đoạn một có nội dung đầy đủ và dài hơn một chút để làm thân bài.  \n"
            "\u00a0\n \n"
            "Ảnh chú thích lặp lại hai lần liền nhau\nẢnh chú thích lặp lại hai lần liền nhau\n"
            "Câu bị ngắt dòng giữa chừng bởi trình\nduyệt khi lưu trang.\n"
            "Cỡ chữ\nIn bài viết\nChia sẻ\nTrang chủ > Thời sự > Xã hội\n"
            "Đoạn hai: Ảnh chú thích lặp lại hai lần liền nhau\n"
            "Khám sức khỏe:&nbspviệc đi khám định kỳ là cần thiết &amp; nên làm.\n"
            "Đang truy cập : 12\n"
            "Tin liên quan\nBài viết khác số một\nBài viết khác số hai")
    out = clean_text(text)
    assert out.split("\n\n") == [
        "Tiêu đề bài",
        "Đoạn một có nội dung đầy đủ và dài hơn một chút để làm thân bài.",
        "Ảnh chú thích lặp lại hai lần liền nhau",
        "Câu bị ngắt dòng giữa chừng bởi trình duyệt khi lưu trang.",
        "Đoạn hai: Ảnh chú thích lặp lại hai lần liền nhau",
        "Khám sức khỏe: việc đi khám định kỳ là cần thiết & nên làm.",
    ]


def test_a_related_block_in_the_middle_is_not_a_tail():
    body = "Đây là một đoạn văn dài của bài báo với rất nhiều chữ để làm nội dung chính. " * 3
    body2 = "Một đoạn khác sau tiêu đề mục, cũng là nội dung thật của bài báo và phải được giữ lại. " * 2
    text = f"{body}\nTin liên quan\n{body2}\nMột đoạn kết thúc cũng dài như thế này, có dấu chấm ở cuối câu."
    out = clean_text(text).split("\n\n")
    assert out == [body.strip(), body2.strip(), "Một đoạn kết thúc cũng dài như thế này, có dấu chấm ở cuối câu."]


def test_dates():
    assert parse_date_line("Thứ Tư, 10/8/2022 6:0'(GMT+7)") == ("2022-08-10T06:00", True)
    assert parse_date_line("09-12-2023 13:15") == ("2023-12-09T13:15", True)
    assert parse_date_line("Chủ Nhật, 14/4/2024") == ("2024-04-14", False)
    assert parse_date_line("Thực hiện Quy định số 04-QĐ/TW ngày 25/7/2018 của Ban Bí thư") is None
    assert parse_date_line("31/02/2020") is None
    assert parse_date("2020-10-01") == "2020-10-01"
    assert parse_date("2022-08-09T23:00:00Z") == "2022-08-10T06:00"  # Vietnam time
    assert parse_date("2022-08-10T06:00:00+07:00") == "2022-08-10T06:00"
    assert parse_date("10/08/2022") == "2022-08-10"
    assert parse_date("không phải ngày") is None
    assert date_from_url("https://dantri.com.vn/kinh-doanh/vinamilk-lot-top-1000-20201001163534963.htm") \
        == "2020-10-01T16:35"
    assert date_from_url("https://x.vn/2021/03/05/tin.html") == "2021-03-05"
    assert date_from_url("https://baosonla.org.vn/a/doan-cong-tac-HRh2jRy4g.html") is None


def _item(text: str, **fields) -> RawItem:
    return RawItem(doc_id="t1", source="t.jsonl#L1", kind="jsonl", text=text, fields=fields)


BODY = ("Sáng ngày 08/12/2023, Ủy ban nhân dân tỉnh Quảng Ninh tổ chức hội nghị tổng kết công tác năm với sự "
        "tham gia của lãnh đạo các sở, ngành, địa phương trong tỉnh và nhiều đại biểu khách mời khác.")


def test_fields_win_and_the_title_line_is_dropped():
    text = f"Quảng Ninh tổng kết năm 2023\n{BODY}\nThu Hà"
    a = article_of(_item(text, title="Quảng Ninh tổng kết năm 2023", date="2023-12-10",
                            url="https://vnexpress.net/quang-ninh-tong-ket-4690000.html", author="Nhóm PV",
                            category="Thời sự", source="VnExpress"))
    assert (a.title, a.published, a.author, a.category, a.source_name) == \
        ("Quảng Ninh tổng kết năm 2023", "2023-12-10", "Nhóm PV", "Thời sự", "VnExpress")
    assert a.url == "https://vnexpress.net/quang-ninh-tong-ket-4690000.html"
    assert a.text == BODY and a.province == "Quảng Ninh"
    assert a.content_hash == hashlib.sha256(
        "\x1f".join([BODY, a.title, a.published, a.url]).encode() + b"\x1f").hexdigest()


def test_body_dateline_url_date_and_a_page_date_that_must_not_win():
    a = article_of(_item(f"Quảng Ninh tổng kết năm 2023 với nhiều kết quả\n{BODY}"))
    assert a.title == "Quảng Ninh tổng kết năm 2023 với nhiều kết quả" and a.published == "2023-12-08"
    b = article_of(_item(BODY.replace("Sáng ngày 08/12/2023, ", ""),
                            url="https://dantri.com.vn/xa-hoi/tong-ket-nam-20231210093000123.htm"))
    assert b.published == "2023-12-10T09:30" and b.source_name == "Dân trí"
    c = article_of(_item("Thứ Năm, 23/5/2024\nTin địa phương\nQuảng Ninh tổng kết năm 2023 thành công\n"
                            + BODY.replace("Sáng ngày 08/12/2023, ", "")))
    assert c.published is None and c.title == "Quảng Ninh tổng kết năm 2023 thành công"
    assert c.category == "Tin địa phương" and "23/5/2024" not in c.text


def test_inline_byline_and_theo_source_of_aggregated_text():
    a = article_of(_item("Mẫu xe mới ra mắt tại Hà Nội với giá 1,41 tỷ đồng, kèm nhiều trang bị an toàn "
                            "và tiện nghi cho người dùng trong nước. Hồng Quân"))
    assert a.author == "Hồng Quân" and a.text.endswith("trong nước.") and a.title is None
    b = article_of(_item(f"{BODY}\nMinh PhươngTheo Reuters"))
    assert (b.author, b.source_name) == ("Minh Phương", "Reuters") and b.text == BODY
    c = article_of(_item(f"{BODY} Theo VnExpress"))
    assert c.source_name == "VnExpress" and c.text == BODY
    d = article_of(_item(f"{BODY} Tri Thu (t/h) Theo Đời sống Plus"))
    assert (d.author, d.source_name, d.text) == ("Tri Thu", "Đời sống Plus", BODY)
    e = article_of(_item(f"{BODY}\nThái Bình (Tổng hợp)"))
    assert e.author == "Thái Bình" and "Thái Bình" not in e.provinces  # a byline, not the province
    f = article_of(_item(f"{BODY}\nHà An\n* Mọi ý kiến đóng góp về giáo dục, độc giả gửi tin, bài về hộp "
                            f"thư: giaoduc@dantri.com.vn"))
    assert f.author == "Hà An" and f.text == BODY


def test_html_item_end_to_end(tmp_path):
    page = ("<html><head><meta property='og:title' content='Lũ quét ở Sơn La'>"
            "<meta property='article:published_time' content='2024-07-02T08:30:00+07:00'>"
            "<link rel='canonical' href='https://baomau.vn/lu-quet-o-son-la.html'></head><body><article>"
            "<h1>Lũ quét ở Sơn La</h1><p>Mưa lớn gây lũ quét tại huyện Mường La, tỉnh Sơn La, làm nhiều "
            "nhà dân bị hư hỏng nặng và giao thông bị chia cắt.</p><p>Huy Thành</p></article></body></html>")
    p = tmp_path / "lu.html"
    p.write_text(page, encoding="utf-8")
    a = article_of(next(iter_items([p])))
    assert a.title == "Lũ quét ở Sơn La" and a.published == "2024-07-02T08:30"
    assert a.url == "https://baomau.vn/lu-quet-o-son-la.html" and a.author == "Huy Thành"
    assert a.text.startswith("Mưa lớn gây lũ quét") and "Lũ quét ở Sơn La" not in a.text.split("\n")
    assert a.province == "Sơn La"
