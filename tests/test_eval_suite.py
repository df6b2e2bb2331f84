from collections import Counter
from pathlib import Path

import pytest

from eval.metrics import contains_phrase
from eval.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "eval" / "suites" / "news_vi.jsonl"
SAMPLE = ROOT / "data" / "sample"
TYPES = {"fact", "number", "date", "person", "place", "list", "unaccented", "english", "followup", "unanswerable"}


@pytest.fixture(scope="module")
def suite():
    cases, errors = load_suite(SUITE)
    assert errors == []
    return cases


@pytest.fixture(scope="module")
def texts():
    return {p.name: p.read_text(encoding="utf-8") for p in SAMPLE.glob("*.txt")}


def test_shipped_suite_size_and_types(suite):
    assert len(suite) >= 45
    counts = Counter(c.type for c in suite)
    assert set(counts) == TYPES
    assert counts["unaccented"] >= 6 and counts["english"] >= 2
    assert counts["followup"] >= 4 and counts["unanswerable"] >= 6
    assert all(c.history for c in suite if c.type == "followup")
    assert all(c.unanswerable and not c.gold_sources for c in suite if c.type == "unanswerable")
    assert len({c.id for c in suite}) == len(suite)


def test_gold_sources_exist(suite, texts):
    for c in suite:
        for doc in c.gold_sources:
            assert doc in texts, f"{c.id}: unknown gold source {doc}"


def test_answerable_cases_are_grounded(suite, texts):
    for c in suite:
        if c.unanswerable:
            continue
        assert c.gold_sources and (c.must_contain or c.answers), c.id
        gold_texts = [texts[d] for d in c.gold_sources]
        for i, group in enumerate(c.must_contain, 1):
            assert any(contains_phrase(t, alt) for alt in group for t in gold_texts), \
                f"{c.id}: must_contain group {i} {group} not found in its gold sources"
        for a in c.answers:
            assert any(contains_phrase(t, a) for t in gold_texts), f"{c.id}: answer {a!r} not in gold sources"


def test_bad_lines_are_reported_and_skipped(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([
        '{"id": "ok1", "question": "Ai?", "must_contain": [["A", "B"]], "gold_sources": ["x.txt"]}',
        '{"id": "no-question"}',
        "{not json",
        "",
        '{"id": "ok2", "question": "Gì?", "answers": ["x"], "history": [{"role": "user", "content": "hi"}]}',
        '{"id": "t", "question": "?", "answers": "x"}',
        '{"id": "g", "question": "?", "must_contain": [[]]}',
        '{"id": "u", "question": "?", "unanswerable": "yes"}',
        '{"id": "h", "question": "?", "history": [{"role": "bot", "content": "x"}]}',
        '{"id": "k", "question": "?", "must_contains": [["x"]]}',
        '{"id": "ok1", "question": "again"}',
        '["a list"]',
    ]) + "\n", encoding="utf-8")
    cases, errors = load_suite(p)
    assert [c.id for c in cases] == ["ok1", "ok2"]
    assert cases[0].must_contain == [["A", "B"]] and cases[1].history[0]["role"] == "user"
    assert "bad.jsonl line 2: missing 'question'" in errors
    joined = "\n".join(errors)
    for n in (3, 6, 7, 8, 9, 10, 11, 12):
        assert f"bad.jsonl line {n}:" in joined
    assert "line 1:" not in joined and "line 4:" not in joined and "line 5:" not in joined
    assert "unknown field 'must_contains'" in joined and "duplicate id 'ok1' (first on line 1)" in joined
