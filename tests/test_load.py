"""The served app (`hoidap serve` in its own process) under concurrent clients: the HTTP API, the
OpenAI-compatible stream and the Gradio queue of the web chat. Target: zero errors at 20 clients.
HOIDAP_LOAD_CLIENTS / HOIDAP_LOAD_SECONDS change the load (`python -m bench.load` is the same code)."""
from __future__ import annotations

import os

import pytest

from bench import load
from tests.conftest import copy_sample_store, record


@pytest.mark.reliability
def test_concurrent_clients_get_answers_without_errors(sample_store, tmp_path):
    clients = int(os.environ.get("HOIDAP_LOAD_CLIENTS", "20"))
    seconds = float(os.environ.get("HOIDAP_LOAD_SECONDS", "30"))
    data = copy_sample_store(sample_store, tmp_path / "data")
    with load.ServedApp(data) as app:
        load.run_load(app.url, 2, 3)  # warm-up, not counted
        res = load.run_load(app.url, clients, seconds)
    print(load.markdown(res))
    record("load", **res)
    assert res["errors"] == 0, res["error_samples"]
    assert all(v["ok"] > 0 for v in res["by_kind"].values()), res["by_kind"]
    assert res["ok"] >= clients
