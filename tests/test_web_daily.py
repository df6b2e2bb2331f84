"""Daily work in the web chat, in a real Chromium against a real server (issue 19's walk-through):
ask with Enter, follow up, reload, find and open the conversation in the sidebar, click [1] of
the first answer and see its card; upload an article about a province the archive lacks and find
it offered in the filter without a restart; ask about it and copy a citation (the clipboard holds
quote, source, date and URL); 👎 with a comment gives exactly one feedback record; the sources
tab finds "son la" and says when nothing matches; a 360 px phone screen keeps the chat usable;
the page speaks English to an English browser. Screenshots for the README go to docs/img/.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_web_api import SAMPLE_QUESTION, start_web
from tests.test_web_browser import ARGS, CHROMIUM

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
FOLLOW_UP = "Ở đó tinh giản được bao nhiêu biên chế?"
CAO_BANG = {
    "id": "cao-bang-le-hoi", "title": "Cao Bằng khai mạc Lễ hội Thác Bản Giốc năm 2024",
    "url": "https://baocaobang.vn/le-hoi-thac-ban-gioc-2024", "date": "2024-09-14", "source": "Báo Cao Bằng",
    "text": ("Tỉnh Cao Bằng khai mạc Lễ hội Thác Bản Giốc năm 2024 tại huyện Trùng Khánh.\n"
             "Lễ hội Thác Bản Giốc năm 2024 thu hút hơn 15.000 lượt du khách trong hai ngày."),
}
CAO_BANG_Q = "Lễ hội Thác Bản Giốc năm 2024 thu hút bao nhiêu lượt du khách?"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing")


@pytest.fixture(scope="module")
def web(sample_store, embedder, tmp_path_factory):
    running = start_web(sample_store, embedder, tmp_path_factory, name="web_daily")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, web, width=1400, height=1000, locale="vi-VN"):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.url)
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(web.url + "/")
    page.wait_for_selector("#hd-question textarea")
    return page


def _ask_with_enter(page, question: str, turn: int) -> None:
    page.fill("#hd-question textarea", question)
    page.press("#hd-question textarea", "Enter")
    page.wait_for_selector(f"#hd-citations .hd-cites[data-hd-turn='{turn}']", state="attached")
    page.wait_for_function("() => document.querySelector('#hd-question textarea').value === ''")


def test_daily_work_walkthrough(web, browser):
    IMG.mkdir(parents=True, exist_ok=True)
    page = _page(browser, web)
    assert "5" in page.inner_text("#hd-overview") and "Sơn La" in page.inner_text("#hd-overview")
    assert page.locator(".hd-example").count() >= 1  # example questions drawn from the archive

    # ---- ask with Enter, then a follow-up; Shift+Enter only adds a line
    page.fill("#hd-question textarea", "dòng một")
    page.press("#hd-question textarea", "Shift+Enter")
    assert page.input_value("#hd-question textarea") == "dòng một\n"
    _ask_with_enter(page, SAMPLE_QUESTION, 1)
    _ask_with_enter(page, FOLLOW_UP, 2)
    page.wait_for_function("() => document.querySelector('#hd-chat').innerText.includes('12 biên chế')")
    page.wait_for_timeout(300)
    page.screenshot(path=str(IMG / "web-chat.png"))

    # ---- reload: the conversation is in the sidebar; open it
    page.reload()
    page.wait_for_selector("#hd-question textarea")
    assert "12 biên chế" not in page.inner_text("#hd-chat")
    page.locator("#hd-conversations label").filter(has_text=SAMPLE_QUESTION[:40]).first.click()
    page.wait_for_function("() => document.querySelector('#hd-chat').innerText.includes('12 biên chế')")

    # ---- [1] of the first answer opens that answer's card (not the latest answer's)
    page.locator("#hd-chat a[href='#hd-cite-1-1']").first.click()
    card = page.locator("#hd-cite-1-1")
    assert card.is_visible() and "15/15 Trung tâm" in card.inner_text()
    assert not page.locator(".hd-cites[data-hd-turn='2']").is_visible()
    page.locator("#hd-chat .bot-row").last.click()  # selecting the later answer brings its sources back
    assert page.locator(".hd-cites[data-hd-turn='2']").is_visible() and not card.is_visible()

    # ---- upload an article about a new province: the filter offers it at once
    tmp = Path(web.services.settings.data_dir).parent / "daily-files"
    tmp.mkdir(exist_ok=True)
    upload = tmp / "cao-bang.jsonl"
    upload.write_text(json.dumps(CAO_BANG, ensure_ascii=False) + "\n", encoding="utf-8")
    page.get_by_role("tab", name="Thêm bài viết").click()
    page.locator("#hd-files input[type=file]").set_input_files([str(upload)])
    page.wait_for_function("() => document.querySelector('#hd-files').textContent.includes('cao-bang')")
    page.click("#hd-ingest")
    page.wait_for_function("() => document.querySelector('#hd-ingest-summary').innerText.includes('Đã lưu 1')")
    page.get_by_role("tab", name="Hỏi đáp").click()
    page.get_by_text("Bộ lọc và cách trả lời").click()
    page.locator("#hd-province input").click()
    page.get_by_role("option", name="Cao Bằng").click()
    page.click("#hd-sidebar #hd-new")

    # ---- ask about it and copy a citation ready for a report
    _ask_with_enter(page, CAO_BANG_Q, 1)
    cite = page.locator("#hd-cite-1-1")
    assert "Báo Cao Bằng" in cite.inner_text() and "14/09/2024" in cite.inner_text()
    cite.locator("button.hd-copy").click()
    page.wait_for_function("() => window.__hdLastCopy !== undefined")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("“") and "15.000 lượt du khách" in copied.split("”")[0], copied
    assert "” — Cao Bằng khai mạc Lễ hội Thác Bản Giốc năm 2024, Báo Cao Bằng, 14/09/2024, " \
           "https://baocaobang.vn/le-hoi-thac-ban-gioc-2024" in copied, copied

    # ---- 👎 with a comment: exactly one record for that answer
    page.locator("#hd-chat button[aria-label='Chưa đúng']").last.click()
    page.wait_for_selector("#hd-fb-comment textarea")
    page.fill("#hd-fb-comment textarea", "Thiếu số liệu năm trước")
    page.click("#hd-fb-send")
    page.wait_for_function("() => document.querySelector('#hd-feedback-note').innerText.includes('góp ý')")
    lines = [json.loads(x) for x in web.services.feedback_path.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in lines if r["question"] == CAO_BANG_Q]
    assert len(mine) == 1 and mine[0]["feedback"]["verdict"] == "dislike"
    assert mine[0]["feedback"]["comment"] == "Thiếu số liệu năm trước"

    # ---- sources tab: accent-free search over provinces, and an explicit "no results"
    page.get_by_role("tab", name="Nguồn dữ liệu").click()
    page.fill("#hd-search textarea, #hd-search input", "son la")
    page.wait_for_function("() => document.body.innerText.includes('khớp «son la»')")
    assert "Đoàn công tác Vụ Tổ chức" in page.inner_text("#hd-sources")
    page.screenshot(path=str(IMG / "web-sources.png"))
    page.fill("#hd-search textarea, #hd-search input", "khong co bai nao nhu the")
    page.get_by_text("Không tìm thấy bài nào khớp").wait_for()
    assert not page.errors, page.errors


def test_phone_layout_and_english(web, browser):
    phone = _page(browser, web, width=360, height=740)
    _ask_with_enter(phone, SAMPLE_QUESTION, 1)
    phone.wait_for_timeout(400)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"the page is {width}px wide on a 360px screen"
    box, send = phone.locator("#hd-question textarea").bounding_box(), phone.locator("#hd-ask").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and send["x"] + send["width"] <= 360
    chat, cites = phone.locator("#hd-chat").bounding_box(), phone.locator("#hd-citations").bounding_box()
    assert chat["y"] < cites["y"], "on a phone the chat comes first and the sources below"
    phone.evaluate("document.querySelector('#hd-chat').scrollIntoView({block: 'start'})")
    phone.screenshot(path=str(IMG / "web-phone.png"))

    english = _page(browser, web, locale="en-US")
    english.wait_for_function("() => document.body.innerText.includes('Send')")
    assert "Saved conversations" in english.inner_text("#hd-sidebar")
    assert not phone.errors and not english.errors
