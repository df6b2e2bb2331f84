"""Load test of the served app: N concurrent clients on loopback for a bounded time.

Each client loops over three kinds of request until the time is up:
  api     POST /api/ask                          (JSON answer)
  openai  POST /v1/chat/completions, stream=true  (SSE until [DONE])
  gradio  the web chat's "ask" event through Gradio's queue (POST /gradio_api/call/ask, then SSE)
A request is an error when the status is not 200, the body is not a complete answer, a Gradio
event ends in "error", or the client times out.

    python -m bench.load                        # starts `hoidap serve` on a temp copy of the sample
    python -m bench.load --clients 20 --seconds 60 --out reports/load.json
    python -m bench.load --url http://127.0.0.1:7860   # an already running server

Run it with `nice -n 10` on a shared machine. Prints a Markdown table; --out also writes JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import ROOT, gradio_call, md_table, pct

QUESTIONS = [
    "Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?",
    "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?",
    "tinh nao bo tri truong ban tuyen giao dong thoi la giam doc trung tam chinh tri",
    "Điện Biên giảm các cuộc họp như thế nào?",
    "Giá vàng hôm nay ở Cà Mau là bao nhiêu?",  # not in the sample: a refusal is a valid answer
]
KINDS = ("api", "openai", "gradio")


def _api(c: httpx.Client, q: str) -> None:
    r = c.post("/api/ask", json={"question": q})
    if r.status_code != 200:
        raise RuntimeError(f"/api/ask {r.status_code}: {r.text[:120]}")
    body = r.json()
    if not body.get("answer"):
        raise RuntimeError("/api/ask: empty answer")


def _openai(c: httpx.Client, q: str) -> None:
    body = {"model": "hoidap", "stream": True, "messages": [{"role": "user", "content": q}]}
    done, text = False, []
    with c.stream("POST", "/v1/chat/completions", json=body) as r:
        if r.status_code != 200:
            raise RuntimeError(f"/v1/chat/completions {r.status_code}")
        for line in r.iter_lines():
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                done = True
                break
            for ch in json.loads(line[6:])["choices"]:
                text.append(ch["delta"].get("content") or "")
    if not done or not "".join(text).strip():
        raise RuntimeError("/v1/chat/completions: stream ended without an answer")


def _gradio(c: httpx.Client, q: str) -> None:
    # inputs of the chat's "ask" event: question, conversation (state), province, since, until, mode, top_k
    # ("Tất cả tỉnh/thành" is ui.web.chat_tab.ALL_PROVINCES: not imported, gradio takes seconds to import)
    out = gradio_call(c, "ask", [q, [], "Tất cả tỉnh/thành", "", "", "extractive", 5])
    chat = out[1] if len(out) > 1 else None
    if not chat or not chat[-1].get("content"):
        raise RuntimeError("gradio: no answer in the chat")


CALLS = {"api": _api, "openai": _openai, "gradio": _gradio}


def run_load(url: str, clients: int = 20, seconds: float = 30.0, kinds: tuple[str, ...] = KINDS,
             timeout: float = 120.0) -> dict:
    """Drive `url` with `clients` threads for `seconds`; returns the figures as a dict."""
    lat: dict[str, list[float]] = {k: [] for k in kinds}
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + seconds

    def client(i: int) -> None:
        n = i
        with httpx.Client(base_url=url, timeout=timeout) as c:
            while time.monotonic() < stop_at:
                kind = kinds[n % len(kinds)]
                q = QUESTIONS[(n // len(kinds)) % len(QUESTIONS)]
                n += clients
                t0 = time.monotonic()
                try:
                    CALLS[kind](c, q)
                    ok = True
                    err = ""
                except Exception as e:  # every failure counts; the first ones are kept as samples
                    ok, err = False, f"{kind}: {type(e).__name__}: {e}"
                dt = time.monotonic() - t0
                with lock:
                    if ok:
                        lat[kind].append(dt)
                    else:
                        errors.append(err)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 30)
    wall = time.monotonic() - start
    every = [x for v in lat.values() for x in v]
    res = {
        "url": url, "clients": clients, "seconds": round(wall, 1), "requests": len(every) + len(errors),
        "ok": len(every), "errors": len(errors), "error_samples": errors[:5],
        "throughput_rps": round(len(every) / wall, 2) if wall else 0.0,
        # None when nothing was answered (round(NaN) would raise and lose the error samples)
        "p50_ms": round(pct(every, 50) * 1000) if every else None,
        "p95_ms": round(pct(every, 95) * 1000) if every else None,
        "by_kind": {k: {"ok": len(v), "p50_ms": round(pct(v, 50) * 1000) if v else None,
                        "p95_ms": round(pct(v, 95) * 1000) if v else None,
                        "mean_ms": round(statistics.fmean(v) * 1000) if v else None} for k, v in lat.items()},
    }
    return res


def markdown(res: dict) -> str:
    lines = [f"{res['clients']} concurrent clients for {res['seconds']} s on {res['url']}: "
             f"{res['ok']} answers, {res['errors']} errors, {res['throughput_rps']} answers/s, "
             f"p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms", "",
             md_table([[k, v["ok"], v["p50_ms"], v["p95_ms"]] for k, v in res["by_kind"].items()],
                      ["request", "answers", "p50 ms", "p95 ms"])]
    if res["error_samples"]:
        lines += ["", "First errors:"] + [f"- {e}" for e in res["error_samples"]]
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """`hoidap serve` in its own process (as deployed), over `data_dir`; ingests the sample first
    when the store is empty. A context manager; `.url` once it answers."""

    def __init__(self, data_dir: Path, start_timeout: float = 600.0):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOIDAP_DATA_DIR=str(data_dir), OMP_WAIT_POLICY="passive",
                   GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        self.log = open(Path(data_dir) / "serve.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hoidap serve exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + "/api/sources", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - t0 > start_timeout:
                self.close()
                raise RuntimeError("hoidap serve did not come up")
            time.sleep(0.5)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> "ServedApp":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="an already running server (default: start one on a temp copy of the sample)")
    ap.add_argument("--data-dir", type=Path, help="store for the started server (default: a temp dir)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma list of api,openai,gradio")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    a = ap.parse_args()
    kinds = tuple(k for k in a.kinds.split(",") if k)
    if a.url:
        res = run_load(a.url, a.clients, a.seconds, kinds)
    else:
        tmp = None if a.data_dir else Path(tempfile.mkdtemp(prefix="hoidap-load-"))
        data = a.data_dir or tmp
        try:
            with ServedApp(data) as app:
                run_load(app.url, 2, 3, kinds)  # warm-up, not counted
                res = run_load(app.url, a.clients, a.seconds, kinds)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    print(markdown(res))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    sys.exit(1 if res["errors"] else 0)


if __name__ == "__main__":
    main()
