"""One answer contract: the same question gives the same JSON bytes from `hoidap ask --json`,
`/api/ask` and the eval harness's record (DIR/answers.jsonl), and requests are checked by one
set of rules whatever the face.

Only `timings_ms` is blanked before comparing: it is a measurement of each run, not content.
Each face runs over its own copy of the session's sample store (an in-process store is opened
by one process at a time), so the stored vectors are the same bytes everywhere.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, copy_sample_store, make_settings

QUESTION = "Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?"
TIMINGS = re.compile(r'"timings_ms":\{[^{}]*\}')


def _blank_timings(raw: str) -> str:
    raw = raw.strip()
    assert len(TIMINGS.findall(raw)) == 1, raw
    return TIMINGS.sub('"timings_ms":{}', raw)


def test_cli_api_and_eval_give_byte_identical_answers(sample_store, embedder, tmp_path_factory):
    from eval.runner import run_suite
    from ui.web import start

    # CLI, in its own process
    cli_dir = copy_sample_store(sample_store, tmp_path_factory.mktemp("contract_cli"))
    env = dict(os.environ, HOIDAP_DATA_DIR=str(cli_dir))
    r = subprocess.run([sys.executable, "-m", "ui.cli", "ask", QUESTION, "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    cli_json = _blank_timings(r.stdout)

    # HTTP API, a real server
    web = start(make_settings(copy_sample_store(sample_store, tmp_path_factory.mktemp("contract_web"))),
                "127.0.0.1", 0, embedder=embedder)
    try:
        resp = httpx.post(web.url + "/api/ask", json={"question": QUESTION}, timeout=120)
    finally:
        web.stop()
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    api_json = _blank_timings(resp.content.decode("utf-8"))

    # the eval harness
    eval_dir = copy_sample_store(sample_store, tmp_path_factory.mktemp("contract_eval"))
    suite = eval_dir / "one.jsonl"
    suite.write_text(json.dumps({"id": "c1", "question": QUESTION, "answers": ["10/1/2022"]},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    from rag.store import Store

    settings = make_settings(eval_dir)
    with Store(settings) as store:
        out = eval_dir / "run"
        run_suite(suite, ROOT / "data" / "sample", out, settings, progress=False, embedder=embedder,
                  store=store, ingest=False)
    lines = (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    eval_json = _blank_timings(lines[0])

    assert cli_json == api_json == eval_json
    parsed = json.loads(cli_json)
    assert "10/1/2022" in parsed["answer"] and parsed["citations"][0]["quote"]


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "2024-02-01", "until": "2024-01-01"}, "since is after"),
    ({"since": "2024-02-30"}, "not a real date"),
    ({"since": "01/02/2024"}, "must be a date"),
    ({"province": "Atlantis"}, "unknown province"),
])
def test_filters_are_checked_once_for_every_face(kwargs, message):
    from rag.contract import RequestError, parse_filters

    with pytest.raises(RequestError, match=message):
        parse_filters(**kwargs)


def test_cli_refuses_since_after_until(sample_store, tmp_path):
    env = dict(os.environ, HOIDAP_DATA_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "ui.cli", "ask", QUESTION, "--since", "2024-02-01",
                        "--until", "2024-01-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--since is after --until" in r.stderr


def test_top_k_bounds_are_the_same_everywhere():
    from rag.contract import TOP_K_MAX, RequestError, check_top_k

    assert check_top_k(TOP_K_MAX) == TOP_K_MAX
    for bad in (0, TOP_K_MAX + 1, True, "5"):
        with pytest.raises(RequestError):
            check_top_k(bad)


def test_answer_round_trips_through_its_json():
    from rag.contract import Answer, Citation, refusal

    c = Citation(n=1, doc_id="d", quote="Tỉnh Sơn La.", chunk_id="d#0", passage="Tỉnh Sơn La.", start=0, end=12)
    a = Answer(question="Tỉnh nào?", answer="**Sơn La** [1]", refused=False, citations=[c])
    assert Answer.model_validate_json(a.to_json()) == a
    assert "Sơn La" in a.to_json()  # UTF-8, not \\u escapes: what staff copy stays readable
    assert refusal("en") != refusal("vi") and refusal(None) == refusal("vi")
