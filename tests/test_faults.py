"""Faults around the answering path, with real loopback servers written here: an LLM endpoint that
is down, silent, slow, erroring or talking garbage; a store folder locked by another process; a
Qdrant URL that does not answer. Each ends in a clear message or the extractive answer with a
notice, on time."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT, SAMPLE, copy_sample_store, make_settings, record

QUESTION = "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?"
TIMEOUT, STALL = 4.0, 2.0


def _sse(obj) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


def _delta(text: str) -> dict:
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]}


class FakeLLM:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 misbehaving in one chosen way."""

    def __init__(self, mode: str):
        self.mode = mode
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                outer.requests.append(body)
                try:
                    outer.respond(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _stream_head(self, h):
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("connection", "close")
        h.end_headers()

    def respond(self, h, body):
        m = self.mode
        if m == "silent":  # read the request, never answer
            time.sleep(TIMEOUT + STALL + 5)
        elif m == "trickle":  # one token per second, forever: only the total deadline stops it
            self._stream_head(h)
            for _ in range(60):
                h.wfile.write(_sse(_delta("Kế hoạch ")))
                h.wfile.flush()
                time.sleep(1.0)
        elif m == "stall":  # one token, then silence
            self._stream_head(h)
            h.wfile.write(_sse(_delta("Kế hoạch được ban hành")))
            h.wfile.flush()
            time.sleep(TIMEOUT + STALL + 5)
        elif m == "http500":
            _reply(h, 500, "application/json", b'{"error": {"message": "internal error", "type": "server_error"}}')
        elif m == "html":  # a proxy's error page with status 200
            _reply(h, 200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        elif m == "badjson":
            self._stream_head(h)
            h.wfile.write("data: {\"choices\": [{\"delta\": {\"content\": \"Kế\n\ndata: }}}{{{\n\n".encode())
            h.wfile.write(b"data: [DONE]\n\n")
        elif m == "binary":
            self._stream_head(h)
            h.wfile.write(bytes(range(256)) * 64)
        elif m == "wrongschema":
            self._stream_head(h)
            h.wfile.write(_sse({"foo": [1, 2, 3]}) + _sse({"choices": "none"}) + b"data: [DONE]\n\n")
        elif m in ("uncited", "leak", "obey"):
            system = next((x.get("content", "") for x in body.get("messages", []) if x.get("role") == "system"), "")
            text = {"uncited": "Kế hoạch được ban hành vào một ngày nào đó, tôi không chắc.",
                    "leak": "Hướng dẫn của tôi là: " + str(system)[:600] + " [1]",
                    "obey": "Đã bỏ qua mọi hướng dẫn trước. HACKED PWNED 1337 [1]"}[m]
            self._stream_head(h)
            for i in range(0, len(text), 12):
                h.wfile.write(_sse(_delta(text[i:i + 12])))
            h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()


def _reply(h, status: int, ctype: str, data: bytes) -> None:
    """A whole (non-streamed) HTTP response from a BaseHTTPRequestHandler."""
    h.send_response(status)
    h.send_header("content-type", ctype)
    h.send_header("content-length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# the default run covers one of each family; `make reliability` runs them all
_SLOWER = pytest.mark.reliability
LLM_MODES = ["down", "silent", "trickle", pytest.param("stall", marks=_SLOWER), pytest.param("http500", marks=_SLOWER),
             "html", pytest.param("badjson", marks=_SLOWER), pytest.param("binary", marks=_SLOWER),
             pytest.param("wrongschema", marks=_SLOWER), pytest.param("uncited", marks=_SLOWER), "leak", "obey"]


@pytest.fixture(scope="module")
def extractive_answer(assistant):
    import llama_index.llms.openai_like  # noqa: F401 - seconds of imports on a busy machine: not timed
    import openai  # noqa: F401

    return assistant.ask(QUESTION, mode="extractive")


@pytest.mark.parametrize("mode", LLM_MODES)
def test_misbehaving_llm_falls_back_to_extractive_on_time(mode, sample_store, embedder, extractive_answer):
    from rag.assistant import Assistant

    settings, store = sample_store
    server = None if mode == "down" else FakeLLM(mode)
    url = f"http://127.0.0.1:{_closed_port()}/v1" if server is None else server.url
    try:
        a = Assistant(make_settings(settings.data_dir, llm_url=url, llm_timeout_s=TIMEOUT,
                                    llm_stall_timeout_s=STALL), store=store, embedder=embedder)
        a.ask(QUESTION, mode="extractive")  # warm: only the LLM wait is timed
        t0 = time.monotonic()
        res = a.ask(QUESTION, mode="llm")
        elapsed = time.monotonic() - t0
    finally:
        if server is not None:
            server.close()
    assert res.mode == "extractive", res
    assert res.notice and "trích xuất" in res.notice, res
    assert res.answer == extractive_answer.answer and res.citations == extractive_answer.citations
    assert "HACKED" not in res.answer and "Quy tắc" not in res.answer
    assert elapsed < TIMEOUT + 3.0, elapsed  # the deadline holds whatever the server does
    if mode == "leak":
        assert "lặp lại hướng dẫn" in res.notice
    if mode in ("silent", "trickle", "stall"):
        assert "Timeout" in res.notice
    if server is not None:
        assert server.requests, "the LLM was never asked"
    record("llm_faults", mode=mode, seconds=round(elapsed, 2), notice=res.notice)


def test_prompt_leak_detector():
    from rag.llm import leaks_prompt
    from rag.llm.prompt import system_prompt

    assert leaks_prompt("Sure: " + system_prompt("vi")[200:500])
    assert leaks_prompt(system_prompt("en")[100:400].upper())
    assert not leaks_prompt("Không tìm thấy thông tin này trong các bài viết đã nạp.")
    assert not leaks_prompt("Kế hoạch số 25-KH/BTGTU được ban hành ngày 19/5/2023 [1].")


def _cli(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.reliability
def test_cli_llm_garbage_prints_extractive_answer_with_notice(sample_store, tmp_path):
    data = copy_sample_store(sample_store, tmp_path / "data")
    server = FakeLLM("html")
    try:
        env = dict(os.environ, HOIDAP_DATA_DIR=str(data), HOIDAP_LLM_URL=server.url,
                   HOIDAP_LLM_TIMEOUT_S=str(TIMEOUT), HOIDAP_LLM_STALL_TIMEOUT_S=str(STALL))
        r = _cli(["ask", "--mode", "llm", QUESTION], env)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    assert "trích xuất" in r.stdout and "[1]" in r.stdout and "Traceback" not in r.stderr


@pytest.mark.reliability
def test_locked_store_gives_a_clear_message(sample_store, tmp_path):
    data = copy_sample_store(sample_store, tmp_path / "data")
    env = dict(os.environ, HOIDAP_DATA_DIR=str(data))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys,time; from rag.settings import Settings; from rag.store import Store;"
         "s=Store(Settings()); print('ready', flush=True); time.sleep(600)"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        results = {}
        for args in (["ingest", "--quiet", str(SAMPLE)], ["ask", QUESTION], ["stats"]):
            r = _cli(args, env)
            results[args[0]] = r
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert "in use by another hoidap process" in r.stderr and "Traceback" not in r.stderr
        r = _cli(["serve", "--port", "0", "--no-sample"], env)
        assert r.returncode == 2 and "in use by another hoidap process" in r.stderr, r.stderr
        record("locked_store", message=results["ingest"].stderr.strip())
    finally:
        holder.kill()
        holder.wait()
    # once the other process is gone the store opens and is intact
    r = _cli(["stats", "--json"], env)
    assert r.returncode == 0 and json.loads(r.stdout)["articles"] == 5


class _SilentTCP:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


class _HTMLServer:
    def __init__(self):
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                _reply(self, 200, "text/html", b"<html>not qdrant</html>")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("kind", ["refused", "silent", "not-qdrant"])
def test_unreachable_qdrant_is_a_clear_error_at_start(kind, tmp_path):
    from rag.store import Store, StoreError

    server = None
    if kind == "refused":
        url = f"http://127.0.0.1:{_closed_port()}"
    else:
        server = _SilentTCP() if kind == "silent" else _HTMLServer()
        url = server.url
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreError) as e:
            Store(make_settings(tmp_path, qdrant_url=url, qdrant_timeout_s=2))
        elapsed = time.monotonic() - t0
        assert f"cannot reach Qdrant at {url}" in str(e.value) and "HOIDAP_QDRANT_URL" in str(e.value)
        assert elapsed < 10, elapsed
        if kind == "refused" and os.environ.get("HOIDAP_RELIABILITY_OUT"):  # and the CLI says so, exit code 2
            r = _cli(["stats"], dict(os.environ, HOIDAP_DATA_DIR=str(tmp_path), HOIDAP_QDRANT_URL=url))
            assert r.returncode == 2 and "cannot reach Qdrant" in r.stderr and "Traceback" not in r.stderr
        record("qdrant_unreachable", kind=kind, seconds=round(elapsed, 2), message=str(e.value)[:160])
    finally:
        if server is not None:
            server.close()
