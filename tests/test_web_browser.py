"""The web UI in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

One scenario, in order: ask the sample question and see the answer with its citations (LLM
token streaming is tested in test_web_stream.py); copy one citation and the whole answer;
follow up; rate the answer; upload a small .txt and an article full of HTML/JS injection; find
them in "Nguồn dữ liệu"; open the hostile article and ask about it — nothing may execute (window.__xss stays undefined); delete the .txt.
Screenshots go to test-output/.
"""
import json
import os
import time
from pathlib import Path

import pytest

from tests.test_web_api import SAMPLE_QUESTION, XSS, XSS_QUESTION, start_web, write_xss_jsonl

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OUT = Path(__file__).resolve().parent.parent / "test-output"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing (apt-get install chromium); the browser test needs it")


@pytest.fixture(scope="module")
def web(sample_store, embedder, tmp_path_factory):
    running = start_web(sample_store, embedder, tmp_path_factory, name="web_browser")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def page(web):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.url)
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(web.url + "/")
        pg.wait_for_selector("#hd-question textarea")
        pg.js_errors = errors
        yield pg
        browser.close()


def _clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def _ask(page, question: str, turn: int) -> None:
    """Ask and wait until the answer is complete (the citations panel carries the turn number)."""
    page.fill("#hd-question textarea", question)
    page.click("#hd-ask")
    page.wait_for_selector(f"#hd-citations .hd-cites[data-hd-turn='{turn}']")


def _xss_untouched(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_browser_scenario(web, page):
    t0 = time.perf_counter()
    # ---------------------------------------------------------------- ask, citations
    _ask(page, SAMPLE_QUESTION, 1)
    chat = page.inner_text("#hd-chat")
    assert "Đắk Lắk" in chat and "Sơn La" in chat and "[1]" in chat and "[2]" in chat
    cites = page.locator("#hd-citations .hd-cite")
    assert cites.count() == 2
    first = cites.nth(0)
    assert first.locator("mark").count() == 1 and "đồng thời là Giám đốc Trung tâm" in first.locator("mark").inner_text()
    assert "10/08/2022" in first.inner_text() and "Đắk Lắk" in first.inner_text()
    second = cites.nth(1)
    assert "Báo Sơn La" in second.inner_text()
    assert second.locator("a[href^='https://baosonla.org.vn/']").count() == 1
    page.screenshot(path=str(OUT / "web-chat.png"), full_page=True)

    # ---------------------------------------------------------------- copy buttons
    second.locator("button.hd-copy").click()
    page.wait_for_function("() => window.__hdLastCopy !== undefined")
    copied = _clipboard(page)
    assert copied.startswith("“Việc triển khai thực hiện mô hình") and \
        "” — Đoàn công tác Vụ Tổ chức, cán bộ, Ban Tuyên giáo Trung ương" in copied and \
        ", Báo Sơn La, https://baosonla.org.vn/" in copied, copied
    assert "Đã sao chép" in second.locator("button.hd-copy").inner_text()
    page.click("#hd-citations button.hd-copy-all")
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('Nguồn:'))")
    all_text = _clipboard(page)
    assert all_text.startswith("Theo các bài viết đã nạp") and "**" not in all_text
    assert "\n\nNguồn:\n[1] “15/15 Trung tâm" in all_text and "” — Đổi mới" in all_text
    assert "\n[2] “Việc triển khai" in all_text

    # ---------------------------------------------------------------- follow-up uses the history
    _ask(page, "Ở đó tinh giản được bao nhiêu biên chế?", 2)
    page.wait_for_function("() => document.querySelector('#hd-chat').innerText.includes('12 biên chế')")
    assert page.locator("#hd-citations .hd-cite").count() >= 1
    assert "12 biên chế" in page.inner_text("#hd-citations")

    # ---------------------------------------------------------------- feedback on an answer
    fb = Path(web.services.feedback_path)
    like = page.locator("#hd-chat button[aria-label='Hữu ích']").first  # Gradio's "Like", in Vietnamese
    like.click()
    page.wait_for_function("() => document.querySelector('#hd-feedback-note').innerText.includes('Đã ghi nhận')")
    rec = json.loads(fb.read_text(encoding="utf-8").splitlines()[-1])
    assert rec["feedback"]["verdict"] == "like" and rec["question"] == SAMPLE_QUESTION and rec["gold_sources"]

    page.locator("#hd-chat button[aria-label='Góp ý']").last.click()  # the flag on the follow-up answer
    page.locator("#hd-chat .extra-feedback-option").filter(has_text="Nguồn trích dẫn sai").last.click()
    page.wait_for_function("() => document.querySelector('#hd-feedback-note').innerText.includes('Nguồn trích dẫn sai')")
    rec = json.loads(fb.read_text(encoding="utf-8").splitlines()[-1])
    assert rec["feedback"]["verdict"] == "wrong_citation" and rec["type"] == "feedback-wrong-citation"
    assert rec["history"][0] == {"role": "user", "content": SAMPLE_QUESTION}

    # ---------------------------------------------------------------- a bad date filter is refused
    page.get_by_text("Bộ lọc và cách trả lời").click()
    page.fill("#hd-since input, #hd-since textarea", "2024-13-01")
    page.fill("#hd-question textarea", SAMPLE_QUESTION)
    page.click("#hd-ask")
    page.get_by_text("phải là ngày dạng YYYY-MM-DD").first.wait_for()
    assert page.locator("#hd-citations .hd-cites[data-hd-turn='2']").count() == 1  # nothing was asked
    page.fill("#hd-since input, #hd-since textarea", "")

    # ---------------------------------------------------------------- new conversation
    page.click("#hd-new")
    page.wait_for_function("() => !document.querySelector('#hd-chat').innerText.includes('12 biên chế')")
    assert page.locator("#hd-citations .hd-cite").count() == 0

    # ---------------------------------------------------------------- upload
    tmp = Path(web.services.settings.data_dir).parent / "browser-files"
    tmp.mkdir(exist_ok=True)
    small = tmp / "tin-hội-an.txt"
    small.write_text("Lễ hội du lịch biển Hội An năm 2024 thu hút hơn 20.000 lượt khách\n\n"
                     "Sở Văn hóa tỉnh Quảng Nam tổ chức lễ hội du lịch biển năm 2024 tại thành phố Hội An.\n"
                     "Lễ hội thu hút hơn 20.000 lượt khách tham quan trong ba ngày.\n", encoding="utf-8")
    page.get_by_role("tab", name="Thêm bài viết").click()
    page.locator("#hd-files input[type=file]").set_input_files([str(small), str(write_xss_jsonl(tmp))])
    page.wait_for_function("() => document.querySelector('#hd-files').textContent.replace(/\\s/g, '')"
                           ".includes('xss.jsonl')")
    page.click("#hd-ingest")
    page.wait_for_function("() => document.querySelector('#hd-ingest-summary').innerText.includes('Đã lưu')")
    results = page.inner_text("#hd-results")
    assert "tin-hội-an.txt" in results and "xss.jsonl#L1" in results and results.count("đã lưu") == 2, results
    assert "Đã lưu 2" in page.inner_text("#hd-ingest-summary")
    page.wait_for_timeout(500)  # let the result table leave its loading state before the screenshot
    page.screenshot(path=str(OUT / "web-upload.png"), full_page=True)
    _xss_untouched(page)

    # ---------------------------------------------------------------- sources: listed, searchable
    page.get_by_role("tab", name="Nguồn dữ liệu").click()
    page.wait_for_function("() => document.querySelector('#hd-sources').innerText.includes('Hội An')")
    table = page.inner_text("#hd-sources")
    assert "Lễ hội du lịch biển Hội An" in table and XSS in table  # shown as text, not markup
    assert "7 bài viết" in page.inner_text("body")
    page.fill("#hd-search textarea, #hd-search input", "canh bao lua dao")  # no accents
    page.wait_for_function("() => !document.querySelector('#hd-sources').innerText.includes('Hội An')")
    assert "Cảnh báo lừa đảo" in page.inner_text("#hd-sources")

    # ---------------------------------------------------------------- open the hostile article
    page.locator("#hd-sources [role=gridcell]").filter(has_text="Cảnh báo lừa đảo").first.click()
    page.wait_for_function("() => document.querySelector('#hd-article').innerText.includes('mã OTP')")
    art = page.inner_text("#hd-article")
    assert XSS in art and 'onerror="window.__xss=1"' in art and "${window.__xss=1}" in art
    assert page.locator("#hd-article script, #hd-article img, #hd-sources img").count() == 0
    page.screenshot(path=str(OUT / "web-xss-article.png"), full_page=True)
    _xss_untouched(page)

    # ---------------------------------------------------------------- and ask about it
    page.get_by_role("tab", name="Hỏi đáp").click()
    _ask(page, XSS_QUESTION, 1)
    assert XSS in page.inner_text("#hd-citations") and XSS in page.inner_text("#hd-chat")
    assert page.locator("#hd-chat script, #hd-chat img[src='x'], #hd-citations script, #hd-citations img").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert "[bấm vào đây](javascript:" in page.inner_text("#hd-chat")  # Markdown link from the article: text only
    page.screenshot(path=str(OUT / "web-xss-answer.png"), full_page=True)
    _xss_untouched(page)

    # ---------------------------------------------------------------- delete with confirmation
    page.get_by_role("tab", name="Nguồn dữ liệu").click()
    page.fill("#hd-search textarea, #hd-search input", "hoi an")
    page.wait_for_function("() => !document.querySelector('#hd-sources').innerText.includes('Cảnh báo')")
    page.locator("#hd-sources [role=gridcell]").filter(has_text="Hội An").first.click()
    page.wait_for_function("() => document.querySelector('#hd-article').innerText.includes('Quảng Nam')")
    page.click("#hd-delete")
    page.click("#hd-delete-confirm")
    page.wait_for_function("() => document.body.innerText.includes('6 bài viết')")
    assert "tin-hội-an.txt" not in {d["doc_id"] for d in web.services.documents()}
    _xss_untouched(page)
    assert not page.js_errors, page.js_errors
    print(f"browser scenario {time.perf_counter() - t0:.1f}s")
