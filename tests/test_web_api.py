"""The web server's HTTP API, uploads, feedback and escaping, against a real server on 127.0.0.1.

The server runs in this process (uvicorn in a thread) on a free port, over a COPY of the session
`sample_store` (the five sample articles already embedded), so these tests may ingest and delete
without touching the shared store and without embedding the sample a second time.
"""
import concurrent.futures
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import copy_sample_store, make_settings

SAMPLE_QUESTION = "Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?"
SAMPLE_IDS = {"000_dcdfc6636e64646c.txt", "001_e022e5b5879dd9b4.txt", "002_0dfad15aa9fa3ad3.txt",
              "003_a8e1dbef73c1e8aa.txt", "004_094f586c75aaffa2.txt"}
XSS = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_RECORD = {
    "id": "xss-canh-bao",
    "title": f"Cảnh báo lừa đảo {XSS}{XSS_IMG}",
    "url": "javascript:window.__xss=1",
    "date": "2024-03-05",
    "source": "Báo <b>Thử</b>",
    "text": (f"Công an thành phố Hà Nội cảnh báo thủ đoạn lừa đảo qua tin nhắn giả mạo ngân hàng {XSS} "
             "[bấm vào đây](javascript:window.__xss=1) trong tháng 3.\n"
             f"Người dân không bấm vào đường link lạ {XSS_IMG} và không cung cấp mã OTP "
             "${window.__xss=1} {{constructor.constructor('window.__xss=1')()}} cho bất kỳ ai."),
}
XSS_QUESTION = "Công an Hà Nội cảnh báo thủ đoạn lừa đảo nào?"


def start_web(sample_store, embedder, tmp_path_factory, name: str = "web", **settings_kw):
    """A running server over a private copy of the sample store (its files copied)."""
    from ui.web import start

    data = copy_sample_store(sample_store, tmp_path_factory.mktemp(name))
    return start(make_settings(data, **settings_kw), "127.0.0.1", 0, embedder=embedder)


def write_xss_jsonl(folder: Path) -> Path:
    p = folder / "xss.jsonl"
    p.write_text(json.dumps(XSS_RECORD, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


def gradio_call(base: str, api_name: str, data: list, timeout: float = 120) -> list:
    """Call a Gradio event through its HTTP API (the benchmarks' client, which the load test also runs)."""
    from bench.common import gradio_call as call

    with httpx.Client(base_url=base, timeout=timeout) as c:
        return call(c, api_name, data)


def upload_and_ingest(base: str, files: list[tuple[str, bytes]]) -> list:
    """Upload through Gradio's upload route under the given (possibly hostile) names, then run the
    "Thêm bài viết" ingest event on them; returns the result table rows."""
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/gradio_api/upload", files=[("files", (name, data, "text/plain")) for name, data in files])
        r.raise_for_status()
        paths = r.json()
    filedata = [{"path": p, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
                for p, (name, _) in zip(paths, files)]
    out = gradio_call(base, "ingest_files", [filedata, ""])
    table = out[0]
    return table["data"] if isinstance(table, dict) else table


@pytest.fixture(scope="module")
def web(sample_store, embedder, tmp_path_factory):
    running = start_web(sample_store, embedder, tmp_path_factory)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(web):
    with httpx.Client(base_url=web.url, timeout=60) as c:
        yield c


# ------------------------------------------------------------------------------------ /api


def test_ask_answers_sample_question_with_citations(client):
    r = client.post("/api/ask", json={"question": SAMPLE_QUESTION})
    assert r.status_code == 200, r.text
    res = r.json()
    assert not res["refused"]
    docs = {c["doc_id"] for c in res["citations"]}
    assert any(d.startswith("000_") for d in docs) and any(d.startswith("002_") for d in docs), docs
    assert "[1]" in res["answer"] and "[2]" in res["answer"]
    for key in ("answer", "refused", "citations", "retrieved", "language", "timings_ms"):
        assert key in res
    c = res["citations"][0]
    for key in ("n", "doc_id", "title", "published", "url", "source_name", "province", "quote", "chunk_id",
                "passage", "start", "end"):
        assert key in c


def test_ask_with_filters_and_history(client):
    r = client.post("/api/ask", json={"question": SAMPLE_QUESTION, "filters": {"province": "son la"}, "top_k": 3})
    assert r.status_code == 200, r.text
    assert {c["province"] for c in r.json()["citations"]} == {"Sơn La"}
    first = client.post("/api/ask", json={"question": SAMPLE_QUESTION}).json()
    hist = [{"role": "user", "content": SAMPLE_QUESTION}, {"role": "assistant", "content": first["answer"]}]
    r = client.post("/api/ask", json={"question": "Ở đó tinh giản được bao nhiêu biên chế?", "history": hist})
    assert r.status_code == 200, r.text
    assert "12 biên chế" in r.json()["answer"]


def test_short_answer_in_api_and_openai_endpoint(client):
    q = "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?"
    res = client.post("/api/ask", json={"question": q}).json()
    assert res["short_answer"]["text"] == "10/1/2022" and res["answer"].startswith("**10/1/2022** [1]")
    r = client.post("/v1/chat/completions", json={"model": "hoidap", "messages": [{"role": "user", "content": q}]})
    body = r.json()
    assert body["short_answer"] == res["short_answer"]
    assert body["choices"][0]["message"]["content"].startswith("**10/1/2022** [1]")


def test_sources_lists_the_sample(client):
    r = client.get("/api/sources")
    assert r.status_code == 200
    docs = r.json()
    assert len(docs) == 5 and {d["doc_id"] for d in docs} == SAMPLE_IDS
    assert all("text" not in d and d["n_chunks"] > 0 for d in docs)


@pytest.mark.parametrize("body", [
    b"not json",
    b"[1, 2]",
    json.dumps({}).encode(),
    json.dumps({"question": ""}).encode(),
    json.dumps({"question": "   "}).encode(),
    json.dumps({"question": 42}).encode(),
    json.dumps({"question": "x" * 5000}).encode(),
    json.dumps({"question": "ok?", "filters": {"since": "2024-13-01"}}).encode(),
    json.dumps({"question": "ok?", "filters": {"since": "2024-02-01", "until": "2024-01-01"}}).encode(),
    json.dumps({"question": "ok?", "filters": {"province": "Atlantis"}}).encode(),
    json.dumps({"question": "ok?", "filters": {"provice": "Sơn La"}}).encode(),
    json.dumps({"question": "ok?", "top_k": 0}).encode(),
    json.dumps({"question": "ok?", "history": [{"role": "bot", "content": "x"}]}).encode(),
    json.dumps({"question": "ok?", "mode": "llm"}).encode(),  # no LLM configured
    json.dumps({"question": "ok?", "qestion": "typo"}).encode(),
])
def test_bad_ask_input_is_400(client, body):
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert isinstance(r.json()["error"], str) and r.json()["error"]


# ------------------------------------------------------------------------------------ /v1 (OpenAI)


def test_openai_client_non_stream_and_stream(web):
    from openai import BadRequestError, OpenAI

    oa = OpenAI(base_url=web.url + "/v1", api_key="unused", max_retries=0, timeout=60)
    assert "hoidap" in [m.id for m in oa.models.list().data]

    resp = oa.chat.completions.create(model="hoidap", messages=[
        {"role": "system", "content": "Trả lời ngắn gọn."}, {"role": "user", "content": SAMPLE_QUESTION}])
    text = resp.choices[0].message.content
    assert "Đắk Lắk" in text and "Sơn La" in text and "[1]" in text
    assert "\n\nNguồn:\n[1] " in text and "\n[2] " in text
    cites = resp.model_extra["citations"]
    assert {c["doc_id"][:4] for c in cites} >= {"000_", "002_"}

    stream = oa.chat.completions.create(model="hoidap", stream=True,
                                        messages=[{"role": "user", "content": SAMPLE_QUESTION}])
    parts, final = [], None
    for ch in stream:
        if ch.choices and ch.choices[0].delta.content:
            parts.append(ch.choices[0].delta.content)
        if (ch.model_extra or {}).get("citations"):
            final = ch
    assert len(parts) > 3, "the answer should arrive in several chunks"
    assert "".join(parts) == text
    assert final is not None and final.choices[0].finish_reason == "stop"
    assert [c["doc_id"] for c in final.model_extra["citations"]] == [c["doc_id"] for c in cites]

    with pytest.raises(BadRequestError):
        oa.chat.completions.create(model="hoidap", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(BadRequestError):
        oa.chat.completions.create(model="hoidap", messages=[{"role": "user", "content": ""}])


def test_sse_ends_with_done(client):
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": "hoidap", "stream": True,
                             "messages": [{"role": "user", "content": SAMPLE_QUESTION}]}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    last = json.loads(lines[-2][6:])
    assert last["object"] == "chat.completion.chunk" and last["citations"]


# ------------------------------------------------------------------------------------ access token


def test_access_token_required(sample_store, embedder, tmp_path_factory):
    from openai import AuthenticationError, OpenAI

    running = start_web(sample_store, embedder, tmp_path_factory, name="web_token", access_token="s3cret-token")
    try:
        with httpx.Client(base_url=running.url, timeout=60) as c:
            body = {"question": SAMPLE_QUESTION}
            assert c.post("/api/ask", json=body).status_code == 401
            assert c.post("/api/ask", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/api/sources").status_code == 401
            r = c.post("/api/ask", json=body, headers={"Authorization": "Bearer s3cret-token"})
            assert r.status_code == 200 and r.json()["citations"]
            # the UI: Gradio's login (user "hoidap", password = the token) guards config and events
            assert c.get("/config").status_code == 401
            assert c.post("/login", data={"username": "hoidap", "password": "nope"}).status_code == 400
            assert c.post("/login", data={"username": "hoidap", "password": "s3cret-token"}).status_code == 200
            assert c.get("/config").status_code == 200
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=running.url + "/v1", api_key="wrong", max_retries=0).models.list()
        ok = OpenAI(base_url=running.url + "/v1", api_key="s3cret-token", max_retries=0)
        assert ok.chat.completions.create(model="hoidap", messages=[{"role": "user", "content": SAMPLE_QUESTION}]) \
            .model_extra["citations"]
    finally:
        running.stop()


# ------------------------------------------------------------------------------------ concurrency


def test_twenty_simultaneous_asks(web):
    questions = [SAMPLE_QUESTION, "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?",
                 "tinh nao bo tri truong ban tuyen giao dong thoi la giam doc trung tam chinh tri",
                 "Nghị quyết số 50-NQ/ĐUK là của Ban Chấp hành Đảng bộ Khối các cơ quan tỉnh Lạng Sơn khóa nào?"]

    def one(i: int):
        with httpx.Client(base_url=web.url, timeout=120) as c:
            return c.post("/api/ask", json={"question": questions[i % len(questions)]})

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        rs = list(pool.map(one, range(20)))
    elapsed = time.perf_counter() - t0
    assert [r.status_code for r in rs] == [200] * 20, [r.text for r in rs if r.status_code != 200]
    assert all(r.json()["citations"] for r in rs)
    print(f"20 simultaneous /api/ask in {elapsed:.1f}s")


# ------------------------------------------------------------------------------------ uploads


def test_safe_filename():
    from ui.web.uploads import safe_filename

    assert safe_filename("../../evil.txt") == "evil.txt"
    assert safe_filename("..\\..\\windows\\evil.txt") == "evil.txt"
    assert safe_filename("/etc/passwd") == "passwd"
    assert safe_filename("a\x00b\x1f\u202ec.txt") == "abc.txt"
    assert safe_filename("..") == "tai-len.txt" and safe_filename("") == "tai-len.txt"
    assert safe_filename("....txt") == "txt"
    assert safe_filename("Tin tức Đắk Lắk: mới?.txt") == "Tin tức Đắk Lắk_ mới_.txt"
    assert safe_filename("Tin tức Đắk Lắk.txt".encode().decode()) == "Tin tức Đắk Lắk.txt"
    assert safe_filename("export.jsonl.gz") == "export.jsonl.gz"
    long = safe_filename("đ" * 300 + ".txt")
    assert long.endswith(".txt") and len(long.encode()) <= 150


def test_upload_path_traversal_and_bad_files(web, tmp_path):
    data_dir = Path(web.services.settings.data_dir).resolve()
    uploads = data_dir / "uploads"
    good = ("Sở Văn hóa tỉnh Quảng Nam tổ chức lễ hội du lịch biển năm 2024 tại thành phố Hội An.\n"
            "Lễ hội du lịch biển Hội An năm 2024 thu hút hơn 20.000 lượt khách tham quan.").encode()
    rows = upload_and_ingest(web.url, [
        ("../../evil.txt", good),
        ("hỏng.jsonl", b'{"text": "ok"\nnot json\n'),
        ("trống.txt", b"   \n"),
        ("ảnh.png", b"\x89PNG\r\n\x1a\n"),
    ])
    by_name = {}
    for name, status, detail in rows:
        by_name.setdefault(name, []).append((status, detail))
    assert by_name["evil.txt"] == [("đã lưu", "evil.txt")]
    assert all(s == "lỗi" for n, v in by_name.items() if n != "evil.txt" for s, _ in v), rows
    # .png is read by OCR since ingest takes images: a PNG that is no image fails with the reason
    assert any("png" in d or "hỗ trợ" in d or "image" in d for s, d in by_name.get("ảnh.png", [])), rows
    assert (uploads / "evil.txt").read_bytes() == good
    for outside in (data_dir / "evil.txt", data_dir.parent / "evil.txt", data_dir.parent.parent / "evil.txt"):
        assert not outside.exists()
    assert all(p.resolve().parent == uploads for p in uploads.iterdir())
    # the app still works and the new article is searchable and listed
    docs = {d["doc_id"] for d in httpx.get(web.url + "/api/sources").json()}
    assert "evil.txt" in docs
    res = httpx.post(web.url + "/api/ask", json={"question": "Lễ hội du lịch biển Hội An thu hút bao nhiêu khách?"},
                     timeout=60).json()
    assert "evil.txt" in {c["doc_id"] for c in res["citations"]}
    # size limit: reported as a failed row, nothing stored
    settings = web.services.settings
    old = settings.max_file_mb
    settings.max_file_mb = 0.0001  # ~100 bytes
    try:
        rows = upload_and_ingest(web.url, [("lớn.txt", good * 3)])
    finally:
        settings.max_file_mb = old
    assert rows[0][0] == "lớn.txt" and rows[0][1] == "lỗi" and "giới hạn" in rows[0][2]
    assert not (uploads / "lớn.txt").exists()
    # clean up: delete through the services the UI uses
    assert web.services.delete("evil.txt")
    assert "evil.txt" not in {d["doc_id"] for d in httpx.get(web.url + "/api/sources").json()}


# ------------------------------------------------------------------------------------ XSS


def test_xss_article_is_escaped_everywhere(web, tmp_path):
    from ui.web.render import esc_md, render_article, render_citations, safe_url

    rows = upload_and_ingest(web.url, [("xss.jsonl", write_xss_jsonl(tmp_path).read_bytes())])
    assert rows[0][1] == "đã lưu", rows
    res = httpx.post(web.url + "/api/ask", json={"question": XSS_QUESTION}, timeout=60).json()
    assert res["citations"] and res["citations"][0]["doc_id"] == "xss-canh-bao"
    # the JSON API returns the article text as data (clients escape it); every HTML view escapes it
    assert XSS in res["answer"]
    doc = web.services.document("xss-canh-bao")
    for html_out in (render_citations(res), render_article(doc)):
        assert "<script" not in html_out and "<img" not in html_out and "<b>Thử" not in html_out
        assert "${" not in html_out and "{{" not in html_out and "href=\"javascript" not in html_out
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html_out
    assert "<script" not in esc_md(res["answer"])
    assert safe_url("javascript:window.__xss=1") is None and safe_url("https://a.vn/x?y=1") == "https://a.vn/x?y=1"
    assert safe_url("data:text/html,<script>") is None and safe_url("//evil.com/x") is None
    assert web.services.delete("xss-canh-bao")


# ------------------------------------------------------------------------------------ feedback


def test_feedback_is_an_eval_case(web, tmp_path):
    from eval.suite import load_suite
    from ui.web.feedback import feedback_cases

    svc = web.services
    res = svc.ask(SAMPLE_QUESTION).to_dict()
    turn = {"question": SAMPLE_QUESTION, "history": [], "answer": res["answer"], "refused": res["refused"],
            "citations": res["citations"], "filters": None, "mode": res["mode"]}
    liked = svc.record_feedback(turn, "like")
    svc.record_feedback(dict(turn, history=[{"role": "user", "content": "trước"},
                                            {"role": "assistant", "content": "đáp"}]), "wrong_citation")
    lines = [json.loads(x) for x in svc.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert lines[-2]["id"] == liked["id"] and lines[-2]["feedback"]["verdict"] == "like"
    assert lines[-2]["gold_sources"] and "[1]" not in lines[-2]["answers"][0]
    assert lines[-1]["type"] == "feedback-wrong-citation" and "answers" not in lines[-1]
    assert lines[-1]["feedback"]["citations"][0]["quote"] and lines[-1]["feedback"]["time"]
    suite = tmp_path / "fb.jsonl"
    suite.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in feedback_cases(svc.feedback_path)) + "\n",
                     encoding="utf-8")
    cases, errors = load_suite(suite)
    assert not errors and len(cases) >= 2
