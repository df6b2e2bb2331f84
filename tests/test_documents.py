""".docx, .pdf (text layer) and a scanned page (OCR) ingested next to the sample articles, in
reading order with their document numbers, and questions answered from each with a citation;
broken documents reported one line each, nothing stored lost. Files are made by the tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE, make_settings
from tests.docfiles import (DOCX_TABLE, PDF_PARAS, PDF_TABLE, make_docx, make_encrypted_pdf, make_long_pdf,
                            make_pdf, make_scanned_pdf)

needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def doc_store(tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    root = tmp_path_factory.mktemp("docs")
    folder = root / "van-ban"
    folder.mkdir()
    make_docx(folder / "ke-hoach-25.docx")
    make_pdf(folder / "bao-cao-12.pdf")
    if shutil.which("tesseract"):
        make_scanned_pdf(folder / "thong-bao-scan.pdf")
    settings = make_settings(root / "store")
    store = Store(settings)
    report = Ingestor(settings, store=store, embedder=embedder).run([SAMPLE, folder], progress=False)
    assert report.ok, report.summary()
    yield settings, store, report
    store.close()


def _doc(store, doc_id):
    return store.get_document(doc_id)


def _ask(doc_store, embedder, question):
    from rag.assistant import Assistant

    settings, store, _ = doc_store
    return Assistant(settings, store=store, embedder=embedder).ask(question)


def test_docx_in_reading_order_with_its_number(doc_store):
    d = _doc(doc_store[1], "ke-hoach-25.docx")
    assert d["doc_number"] == "25-KH/BTGTU" and d["published"] == "2022-01-10"
    assert d["title"] == "Kế hoạch phối hợp tuyên truyền chuyển đổi số trên địa bàn tỉnh"
    assert d["source_name"] == "Ban Tuyên giáo Tỉnh ủy Đắk Lắk" and d["category"] == "Kế hoạch"
    text = d["text"]
    rows = [" | ".join(r) for r in DOCX_TABLE]
    order = ["I. MỤC ĐÍCH, YÊU CẦU", "chuyển đổi số; bảo đảm mỗi xã", "II. NHIỆM VỤ CỤ THỂ", *rows,
             "Kinh phí thực hiện kế hoạch"]
    at = [text.find(s) for s in order]
    assert all(i >= 0 for i in at) and at == sorted(at), list(zip(order, at))
    assert "TÀI LIỆU LƯU HÀNH NỘI BỘ" not in text and "trang chân" not in text  # page header/footer
    assert "Số 25-KH/BTGTU" not in text and "ĐẢNG CỘNG SẢN" not in text  # the header block is metadata


def test_pdf_without_header_footer_lines_joined_table_rows(doc_store):
    d = _doc(doc_store[1], "bao-cao-12.pdf")
    assert d["doc_number"] == "12-BC/BTGTU" and d["published"] == "2023-12-20"
    assert d["title"] == "Báo cáo kết quả công tác tuyên giáo năm 2023"
    text = d["text"]
    assert "BÁO CÁO NĂM 2023" not in text and "Trang 1/2" not in text and "Trang 2/2" not in text
    paras = text.split("\n\n")
    for p in PDF_PARAS:  # wrapped by the PDF writer, whole again
        assert p in paras, p
    rows = [" | ".join(r) for r in PDF_TABLE]
    at = [text.find(s) for s in (PDF_PARAS[2], *rows, "Năm 2024, ngành tuyên giáo")]
    assert all(i >= 0 for i in at) and at == sorted(at), at


def test_questions_answered_from_the_docx_and_the_pdf_with_citations(doc_store, embedder):
    a = _ask(doc_store, embedder, "Kế hoạch 25-KH/BTGTU giao Trung tâm Chính trị cấp huyện nhiệm vụ gì?")
    assert not a.refused and a.citations, a
    # sample article 002 quotes this very plan by its number: it may be cited too, the plan must be
    plan = [c for c in a.citations if c.doc_id == "ke-hoach-25.docx"]
    assert plan and plan[0].doc_number == "25-KH/BTGTU", a.citations
    assert "bồi dưỡng kỹ năng số" in plan[0].quote and "bồi dưỡng kỹ năng số" in a.answer
    b = _ask(doc_store, embedder, "Loa truyền thanh thông minh được lắp đặt tại bao nhiêu xã, phường, thị trấn?")
    assert not b.refused and b.citations[0].doc_id == "bao-cao-12.pdf" and "184" in b.answer, b
    assert not b.citations[0].ocr


@needs_ocr
def test_scanned_page_read_by_ocr_and_answered(doc_store, embedder):
    d = _doc(doc_store[1], "thong-bao-scan.pdf")
    assert d["ocr"] is True and "Buôn Ma Thuột" in d["text"]
    a = _ask(doc_store, embedder, "Hội nghị tập huấn công tác tuyên giáo năm 2024 được tổ chức ở đâu?")
    assert not a.refused and a.citations[0].doc_id == "thong-bao-scan.pdf", a
    assert "Buôn Ma Thuột" in a.answer and a.citations[0].ocr is True


def test_scan_without_tesseract_is_reported_and_not_stored(tmp_path):
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    empty = tmp_path / "bin"  # a PATH without tesseract on it
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), HOIDAP_DATA_DIR=str(tmp_path / "store"))
    r = subprocess.run([sys.executable, "-m", "ui.cli", "ingest", "--quiet", str(scan)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"FAILED {scan}: scanned, needs OCR" in r.stdout and "tesseract-ocr-vie" in r.stdout
    assert "stored 0" in r.stdout


def test_bad_documents_one_line_each_nothing_lost(tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    folder = tmp_path / "docs"
    folder.mkdir()
    make_docx(folder / "ke-hoach.docx")
    settings = make_settings(tmp_path / "store")
    with Store(settings) as store:
        first = Ingestor(settings, store=store, embedder=embedder).run([folder], progress=False)
        assert first.ok
        kept = store.get_document("ke-hoach.docx")
    make_encrypted_pdf(folder / "mat.pdf")
    make_long_pdf(folder / "dai.pdf", 500)
    (folder / "hong.docx").write_bytes(b"PK\x03\x04" + b"\x00rac" * 200)
    (folder / "cu.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (folder / "rong.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with Store(settings) as store:
        report = Ingestor(settings, store=store, embedder=embedder).run([folder], progress=False)
        assert store.get_document("ke-hoach.docx") == kept
        assert {d["doc_id"] for d in store.list_documents()} == {"ke-hoach.docx"}
    reasons = {os.path.basename(s): r for s, r in report.failed}
    assert reasons["mat.pdf"] == "encrypted PDF (it needs a password)"
    assert reasons["dai.pdf"] == "500 pages, over the 200-page limit (HOIDAP_MAX_PDF_PAGES)"
    assert reasons["hong.docx"].startswith("damaged or not a Word document")
    assert reasons["cu.docx"].startswith("password-protected (encrypted) or an old binary Word file")
    assert reasons["rong.pdf"].startswith("damaged or not a PDF")
    assert all("\n" not in r for r in reasons.values())
