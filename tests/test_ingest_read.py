"""Reading files and folders: encodings, refusals, HTML, JSONL, doc ids. Files are made in tmp_path."""
from __future__ import annotations

import gzip
import json
import os
import unicodedata
from pathlib import Path

import pytest

from ingest.readers import DecodeError, RawItem, ReadFailure, decode_bytes, iter_items
from tests.conftest import SAMPLE

VN = ("Đắk Lắk là một tỉnh ở Tây Nguyên. Người dân Hòa Bình quý trọng nước, thuỷ điện và rừng; "
      "Ban Tuyên giáo Tỉnh ủy tổng kết công tác năm 2023.")
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as legacy tools wrote it: base letters precomposed, tone marks combining."""
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
        out.append(base + "".join(c for c in d if c in _TONES))
    return "".join(out).encode("cp1258")


def read_all(*paths, **kw) -> list:
    return list(iter_items(list(paths), **kw))


def one(path: Path, **kw):
    items = read_all(path, **kw)
    assert len(items) == 1, items
    return items[0]


@pytest.mark.parametrize("name, data", [
    ("utf8.txt", VN.encode("utf-8")),
    ("utf8_bom.txt", b"\xef\xbb\xbf" + VN.encode("utf-8")),
    ("utf16le_bom.txt", b"\xff\xfe" + VN.encode("utf-16-le")),
    ("utf16be_bom.txt", b"\xfe\xff" + VN.encode("utf-16-be")),
    ("utf16le_nobom.txt", VN.encode("utf-16-le")),
    ("cp1258.txt", to_cp1258(VN)),
    ("nfd.txt", unicodedata.normalize("NFD", VN).encode("utf-8")),
    ("crlf.txt", VN.replace(". ", ".\r\n").encode("utf-8")),
])
def test_encodings_decode_to_the_same_nfc_text(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    item = one(p)
    assert isinstance(item, RawItem), item
    assert item.text.replace("\n", " ") == VN
    assert unicodedata.is_normalized("NFC", item.text)
    assert "\ufeff" not in item.text and "\r" not in item.text
    assert item.doc_id == name and item.kind == "txt" and item.source == str(p)


def test_cp1258_input_really_is_combining_marks():
    raw = to_cp1258(VN)
    assert raw.decode("cp1258") != VN  # the codec alone leaves tone marks combining
    assert decode_bytes(raw, "x") == VN


@pytest.mark.parametrize("name, data, reason", [
    ("zero.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n\t \n", "empty file"),
    ("binary.txt", bytes(range(256)) * 8, "binary file (NUL bytes)"),
    ("controls.txt", b"abc\x01\x02\x03\x04\x05\x06def\x07\x08" * 20, "binary file"),
    ("doc.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary file (a PDF document)"),
    ("latin.txt", "Ceci n'est pas du vietnamien: garçon, façade, où".encode("cp1252"),
     "cannot decode: not UTF-8/UTF-16/Windows-1258"),
])
def test_refused_files_name_the_problem(tmp_path, name, data, reason):
    p = tmp_path / name
    p.write_bytes(data)
    item = one(p)
    assert isinstance(item, ReadFailure), item
    assert reason in item.reason and item.source == str(p)


def test_decode_bytes_raises_decode_error():
    with pytest.raises(DecodeError) as e:
        decode_bytes(b"\x00\x01\x02\x03binary\x00", "x.bin")
    assert "binary" in e.value.reason


def test_oversize_file_is_refused_with_the_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(("Tin dài. " * 200_000).encode())  # 2,000,000 bytes = 1.9 MiB
    item = one(p, max_bytes=1024 * 1024)
    assert isinstance(item, ReadFailure)
    assert item.reason == "file is 1.9 MB, over the 1 MB limit (HOIDAP_MAX_FILE_MB)"
    assert isinstance(one(p, max_bytes=4 * 1024 * 1024), RawItem)


def test_unsupported_extension_fails_only_when_given_explicitly(tmp_path):
    (tmp_path / "a.txt").write_text("Bài viết một.", encoding="utf-8")
    (tmp_path / "b.odt").write_bytes(b"PK\x03\x04")
    (tmp_path / "notes.xlsx").write_bytes(b"PK\x03\x04")
    items = read_all(tmp_path)
    assert [i.doc_id for i in items] == ["a.txt"]
    item = one(tmp_path / "b.odt")
    assert isinstance(item, ReadFailure) and item.reason.startswith("unsupported file type '.odt'")
    missing = one(tmp_path / "nope.txt")
    assert isinstance(missing, ReadFailure) and missing.reason == "no such file or folder"


def test_folders_recursive_sorted_hidden_skipped_no_symlink_loop(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.txt").write_text("Bài B.", encoding="utf-8")
    (root / "a.md").write_text("# Tiêu đề A\n\nĐoạn **một** có [liên kết](https://x.vn).\n", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("Bài C.", encoding="utf-8")
    (root / "sub" / "deeper" / "d.txt").write_text("Bài D.", encoding="utf-8")
    (root / ".hidden.txt").write_text("ẩn", encoding="utf-8")
    (root / ".git" / "e.txt").write_text("ẩn", encoding="utf-8")
    (root / "image.bmp").write_bytes(b"BM")
    os.symlink(root, root / "sub" / "loop")  # a loop back to the root
    items = read_all(root)
    assert all(isinstance(i, RawItem) for i in items), items
    assert [i.doc_id for i in items] == ["a.md", "b.txt", "sub/c.txt", "sub/deeper/d.txt"]
    md = items[0]
    assert md.kind == "md" and md.fields["title"] == "Tiêu đề A"
    assert "**" not in md.text and "](" not in md.text and "Đoạn một có liên kết." in md.text
    assert read_all(root) == items  # deterministic


def test_sample_folder_doc_ids():
    items = read_all(SAMPLE)
    assert [i.doc_id for i in items] == sorted(p.name for p in SAMPLE.glob("*.txt"))
    assert items[0].doc_id == "000_dcdfc6636e64646c.txt"
    assert all(isinstance(i, RawItem) and i.kind == "txt" for i in items)


HTML = """<!doctype html><html><head><meta charset="utf-8">
<title>Lũ quét ở Sơn La - Báo Mẫu</title>
<meta property="og:title" content="Lũ quét ở Sơn La &amp; Lai Châu">
<meta property="article:published_time" content="2024-07-02T08:30:00+07:00">
<meta name="author" content="Huy Thành">
<link rel="canonical" href="https://baomau.vn/lu-quet-o-son-la-123.html">
<style>.x { color: red }</style>
<script>var tracking = "alert";</script>
</head><body>
<header><a href="/">Trang chủ</a> Menu chính</header>
<nav><ul><li>Thời sự</li><li>Kinh tế</li></ul></nav>
<div class="main"><article>
<h1>Lũ quét ở Sơn La &amp; Lai Châu</h1>
<p>Mưa lớn kéo dài gây lũ quét tại <b>huyện Mường La</b>, tỉnh Sơn La.</p>
<script>alert(1)</script>
<p>Chính quyền đã sơ tán 120 hộ dân&nbsp;khỏi vùng nguy hiểm &lt;b&gt;ngay trong đêm&lt;/b&gt;.<br>Lực lượng cứu hộ đang tìm kiếm.</p>
<noscript>Bật JavaScript</noscript>
<form><input name="q"> Tìm kiếm</form>
<iframe src="https://ads"></iframe>
</article>
<aside>Tin liên quan: Bài khác</aside></div>
<footer>Bản quyền © Báo Mẫu</footer>
</body></html>"""


def test_html_main_text_without_markup_or_scripts(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML, encoding="utf-8")
    item = one(p)
    assert isinstance(item, RawItem) and item.kind == "html"
    t = item.text
    assert "alert" not in t and "tracking" not in t and "color: red" not in t
    assert "<" not in t and ">" not in t and "&amp;" not in t and "&nbsp;" not in t
    for junk in ("Menu chính", "Thời sự", "Bản quyền", "Tìm kiếm", "Bật JavaScript", "Tin liên quan"):
        assert junk not in t
    assert "Mưa lớn kéo dài gây lũ quét tại huyện Mường La, tỉnh Sơn La." in t
    assert "sơ tán 120 hộ dân khỏi vùng nguy hiểm ngay trong đêm." in t
    assert "\n\n" in t  # paragraphs separated by blank lines
    assert item.fields["title"] == "Lũ quét ở Sơn La & Lai Châu"
    assert item.fields["date"] == "2024-07-02T08:30:00+07:00"
    assert item.fields["url"] == "https://baomau.vn/lu-quet-o-son-la-123.html"
    assert item.fields["author"] == "Huy Thành"


def test_html_without_article_uses_the_densest_block(tmp_path):
    paras = "".join(f"<p>Đoạn nội dung số {i} của bài viết, đủ dài để là văn bản chính.</p>" for i in range(8))
    page = f"<html><body><div id=menu><p>Trang chủ</p></div><div id=content>{paras}</div>" \
           f"<div id=side><p>Quảng cáo</p></div></body></html>"
    p = tmp_path / "x.htm"
    p.write_text(page, encoding="utf-8")
    item = one(p)
    assert isinstance(item, RawItem) and item.doc_id == "x.htm"
    assert "Đoạn nội dung số 7" in item.text and "Quảng cáo" not in item.text and "Trang chủ" not in item.text


def test_jsonl_bad_lines_fail_alone_with_their_line_number(tmp_path):
    lines = [
        json.dumps({"id": "a1", "title": "Tin A", "text": "Nội dung A.", "url": "https://x.vn/a",
                    "date": "2020-10-01", "category": "Xã hội", "extra": "bỏ qua"}, ensure_ascii=False),
        json.dumps({"text": "Không có id."}, ensure_ascii=False),
        "",
        json.dumps({"id": "a4", "text": 123}),
        json.dumps({"id": 5, "text": "Id là số.", "author": "Vân Khánh"}, ensure_ascii=False),
        '{"id": "a6", "text": "thiếu ngoặc"',
        json.dumps({"id": "a7", "title": "Không có text"}, ensure_ascii=False),
        json.dumps(["không", "phải", "object"], ensure_ascii=False),
        json.dumps({"id": "a9", "text": "Dòng cuối vẫn được đọc."}, ensure_ascii=False),
    ]
    p = tmp_path / "news.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read_all(p)
    ok = [i for i in items if isinstance(i, RawItem)]
    bad = {i.source: i.reason for i in items if isinstance(i, ReadFailure)}
    assert [i.doc_id for i in ok] == ["a1", "news.jsonl#2", "5", "a9"]
    assert [i.source for i in ok] == [f"{p}#L1", f"{p}#L2", f"{p}#L5", f"{p}#L9"]
    assert ok[0].fields == {"id": "a1", "title": "Tin A", "url": "https://x.vn/a", "date": "2020-10-01",
                            "category": "Xã hội"}
    assert ok[2].fields["author"] == "Vân Khánh" and ok[0].kind == "jsonl"
    assert bad[f"{p}#L4"] == "line 4: 'text' must be a string, not int"
    assert bad[f"{p}#L6"].startswith("line 6: invalid JSON: ")
    assert bad[f"{p}#L7"] == "line 7: missing 'text'"
    assert bad[f"{p}#L8"].startswith("line 8: expected a JSON object")
    assert len(bad) == 4


def test_jsonl_gz_is_streamed(tmp_path):
    p = tmp_path / "news.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        for k in range(3):
            f.write(json.dumps({"id": f"g{k}", "text": f"Bài nén số {k}."}, ensure_ascii=False) + "\n")
    items = read_all(p)
    assert [i.doc_id for i in items] == ["g0", "g1", "g2"]
    assert items[1].text == "Bài nén số 1." and items[1].source == f"{p}#L2"
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip at all")
    item = one(broken)
    assert isinstance(item, ReadFailure) and "gzip" in item.reason
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n\n", encoding="utf-8")
    item = one(blank)
    assert isinstance(item, ReadFailure) and item.reason.startswith("empty file")


def test_jsonl_record_over_the_limit_is_skipped_alone(tmp_path):
    p = tmp_path / "big.jsonl"
    big = json.dumps({"id": "big", "text": "x" * 5000})
    p.write_text(big + "\n" + json.dumps({"id": "small", "text": "nhỏ"}) + "\n", encoding="utf-8")
    items = read_all(p, max_bytes=1000)
    assert isinstance(items[0], ReadFailure) and items[0].reason.startswith("line 1: record is over")
    assert isinstance(items[1], RawItem) and items[1].doc_id == "small"
