"""CI smoke eval: the shipped news suite over data/sample through the real runner.

Thresholds are the measured values minus a margin (see the README's evaluation section):
they catch a broken retriever or answerer, not a one-case wobble.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT, SAMPLE, make_settings

SUITE = ROOT / "eval" / "suites" / "news_vi.jsonl"
MIN_MUST_CONTAIN = 0.65  # measured 0.745 (63 cases, extractive answers, 2026-11-22)
MIN_HIT_AT_5 = 0.90  # measured 1.00
MIN_BASELINE_HIT_AT_5 = 0.60  # bm25 0.95, dense 1.00, llamaindex 1.00 on the full suite


@pytest.fixture(scope="module")
def news_run(sample_store, embedder, tmp_path_factory):
    from eval.runner import run_suite

    settings, store = sample_store  # data/sample, already ingested once per session
    out = tmp_path_factory.mktemp("eval_news")
    summary = run_suite(SUITE, SAMPLE, out, settings, baselines=False, progress=False, embedder=embedder,
                        store=store, ingest=False)
    return out, summary


def test_news_suite(news_run):
    out, summary = news_run
    for name in ("results.jsonl", "summary.json", "report.md", "report.html", "plots/metrics.png"):
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    n_cases = sum(1 for line in SUITE.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(rows) == summary["n"] == n_cases
    for r in rows:
        for key in ("id", "question", "answer", "refused", "retrieved", "citations", "quotes", "latency_ms", "language"):
            assert key in r, key
        assert len(r["retrieved"]) == len(set(r["retrieved"]))  # documents, deduplicated
        assert "error" not in r, r["error"]
    assert all(len(r["retrieved"]) == 5 for r in rows)  # every sample article is ranked
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["n"] == n_cases

    o = summary["overall"]
    print(f"\nnews suite: must-contain {o['must_contain_pass']:.3f}, hit@5 {o['hit@5']:.3f}, "
          f"MRR@10 {o['mrr@10']:.3f}, pass {o['pass']:.3f}")
    assert o["must_contain_pass"] >= MIN_MUST_CONTAIN
    assert o["hit@5"] >= MIN_HIT_AT_5
    assert o["quote_verbatim"] == 1.0  # extractive quotes are copied from the articles
    assert summary["baselines"] == {}


def test_baselines_on_a_few_cases(sample_store, embedder, tmp_path):
    from eval.runner import run_suite

    settings, store = sample_store
    lines = [line for line in SUITE.read_text(encoding="utf-8").splitlines() if line.strip()][:8]
    suite = tmp_path / "few.jsonl"
    suite.write_text("\n".join(lines + ['{"id": "broken", "question": ""}']) + "\n", encoding="utf-8")
    logged: list[str] = []
    summary = run_suite(suite, SAMPLE, tmp_path / "out", settings, baselines=True, progress=False,
                        embedder=embedder, store=store, ingest=False, log=logged.append)

    assert summary["n"] == 8
    assert any("few.jsonl line 9" in m for m in logged), logged  # bad line reported and skipped
    assert set(summary["baselines"]) == {"bm25", "dense", "llamaindex"}
    for name, b in summary["baselines"].items():
        o = b["overall"]
        for key in ("hit@1", "hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10"):
            assert o.get(key) is not None, (name, key)
        assert o["hit@5"] >= MIN_BASELINE_HIT_AT_5, name
        for key in ("must_contain_pass", "answer_recall", "citation_precision", "refusal_precision", "pass"):
            assert o.get(key) is None, (name, key)  # retrieval-only: answer metrics are N/A
        assert (tmp_path / "out" / "baselines" / name / "results.jsonl").is_file()
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| Metric | system | bm25 | Δ vs bm25 | dense | Δ vs dense | llamaindex | Δ vs llamaindex |" in md


def test_corpus_collection_is_reused_and_mirrors_the_corpus(tmp_path, embedder):
    from eval.runner import corpus_collection, prepare_corpus
    from rag.store import Store

    corpus = tmp_path / "Tin tức" / "export.jsonl"
    corpus.parent.mkdir()
    recs = [{"id": "a", "title": "Sơn La", "text": "Tỉnh Sơn La tổ chức hội nghị tuyên giáo năm 2024."},
            {"id": "b", "title": "Lạng Sơn", "text": "Lạng Sơn ban hành kế hoạch số 25-KH/BTGTU."}]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")

    name = corpus_collection(corpus, embedder.id)
    assert re.fullmatch(r"eval_tin_tuc_export_[0-9a-f]{8}", name)
    assert corpus_collection(corpus, embedder.id) == name
    assert corpus_collection(tmp_path, embedder.id) != name

    settings = make_settings(tmp_path / "data")
    with Store(settings, name) as store:
        first = prepare_corpus(corpus, store, settings, embedder, progress=False, log=lambda m: None)
        assert (first["embedded"], first["articles"]) == (2, 2)
        again = prepare_corpus(corpus, store, settings, embedder, progress=False, log=lambda m: None)
        assert (again["embedded"], again["unchanged"]) == (0, 2)  # a second run does not re-embed
        corpus.write_text(json.dumps(recs[0], ensure_ascii=False) + "\n", encoding="utf-8")
        shrunk = prepare_corpus(corpus, store, settings, embedder, progress=False, log=lambda m: None)
        assert (shrunk["removed"], shrunk["embedded"]) == (1, 0)
        assert [d["doc_id"] for d in store.list_documents()] == ["a"]
