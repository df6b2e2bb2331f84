"""The news dev suite (eval/suites/news_dev.jsonl) and its slice of the shared corpora.

Without the shared corpora (a fresh clone, CI) only the suite's own shape is checked and the
slice tool runs on a tiny corpus made here. With them (HOIDAP_SHARED, or a `shared` folder next
to the repo or one level higher, as on the dev machine) the slice is rebuilt once and every
answerable case is checked against the text of its gold articles.
"""
from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.metrics import contains_phrase
from eval.slice import SliceError, build_slice, read_ids
from eval.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "eval" / "suites" / "news_dev.jsonl"
IDS = ROOT / "eval" / "suites" / "news_dev.ids"
# question kinds with a short answer span (their `answers` are verbatim spans of a gold article);
# why/list answers are reference summaries, and the variants below copy a kind's question
SPAN_TYPES = {"number", "date", "person", "place", "document", "organisation"}
TYPES = SPAN_TYPES | {"why", "list", "unanswerable", "unaccented", "english", "followup"}


def _shared() -> Path | None:
    env = os.environ.get("HOIDAP_SHARED")
    for cand in ([Path(env)] if env else []) + [ROOT.parent / "shared", ROOT.parent.parent / "shared"]:
        if (cand / "corpus" / "baomoi.jsonl.gz").is_file() and (cand / "corpus" / "dantri_unc.jsonl.gz").is_file():
            return cand
    return None


@pytest.fixture(scope="module")
def suite():
    cases, errors = load_suite(SUITE)
    assert errors == []
    return cases


def test_suite_shape(suite):
    assert len(suite) >= 100
    counts = Counter(c.type for c in suite)
    assert set(counts) <= TYPES, set(counts) - TYPES
    assert len({c.id for c in suite}) == len(suite)
    ids = {e.id for e in read_ids(IDS)[0]}
    for c in suite:
        if c.unanswerable:
            assert not c.gold_sources and not c.must_contain, c.id
            continue
        assert c.must_contain and c.gold_sources and c.answers, c.id
        assert set(c.gold_sources) <= ids, f"{c.id}: gold sources outside the slice"
        if c.type == "list":
            assert len(c.must_contain) >= 2 and len(c.gold_sources) >= 2, c.id
    assert all(c.history for c in suite if c.type == "followup")


def test_ids_file_names_the_slice():
    entries, digest = read_ids(IDS)
    assert 1500 <= len(entries) <= 2500
    assert digest and len(digest) == 64
    groups = Counter(e.group for e in entries)
    assert groups["propaganda"] >= 100 and groups["random"] >= 300


@pytest.fixture(scope="module")
def slice_texts(tmp_path_factory):
    shared = _shared()
    if shared is None:
        pytest.skip("shared corpora not found (set HOIDAP_SHARED)")
    out = tmp_path_factory.mktemp("slice") / "news_dev.jsonl"
    n, digest = build_slice(IDS, shared, out)  # raises if the bytes differ from the recorded sha256
    assert n == len(read_ids(IDS)[0]) and digest == read_ids(IDS)[1]
    return {json.loads(line)["id"]: json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()}


def test_gold_articles_hold_every_fact(suite, slice_texts):
    """Each must_contain group must occur in each gold article (for lists: each group in some gold
    article and each gold article holding some group); span answers must be verbatim spans."""
    problems = []
    for c in suite:
        if c.unanswerable:
            continue
        texts = {g: slice_texts[g] for g in c.gold_sources}
        held = {g: [any(contains_phrase(t, alt) for alt in grp) for grp in c.must_contain] for g, t in texts.items()}
        if c.type == "list":
            for i, grp in enumerate(c.must_contain):
                if not any(h[i] for h in held.values()):
                    problems.append(f"{c.id}: no gold article holds {grp}")
            problems += [f"{c.id}: {g} holds none of the items" for g, h in held.items() if not any(h)]
        else:
            problems += [f"{c.id}: {g} lacks {c.must_contain[i]}" for g, h in held.items()
                         for i, ok in enumerate(h) if not ok]
        if c.type in SPAN_TYPES:
            problems += [f"{c.id}: answer {a!r} is in no gold article" for a in c.answers
                         if not any(contains_phrase(t, a) for t in texts.values())]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the slice tool on a tiny corpus

def _tiny_shared(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    with gzip.open(corpus / "baomoi.jsonl.gz", "wt", encoding="utf-8") as f:
        for i in range(3):
            f.write(json.dumps({"id": f"baomoi-{i}", "title": f"Tin {i}", "text": f"Nội dung bài {i}."},
                               ensure_ascii=False) + "\n")
    with gzip.open(corpus / "dantri_unc.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "news_x_001", "url": "u", "date": "2021-04-27", "category": "society",
                            "text": "Bài Dân trí."}, ensure_ascii=False) + "\n")
    return root


def test_eval_slice_command_rebuilds_same_bytes_and_checks_them(tmp_path):
    from ui import eval_cli  # noqa: F401  (registers the eval commands on the group)
    from ui.cli import cli

    shared = _tiny_shared(tmp_path / "shared")
    ids = tmp_path / "mini.ids"
    ids.write_text("# a comment\nnews_x_001\tdantri-society\nbaomoi-2\trandom\n", encoding="utf-8")
    out1, out2 = tmp_path / "a.jsonl", tmp_path / "b" / "b.jsonl"
    for out in (out1, out2):
        r = CliRunner().invoke(cli, ["eval-slice", str(ids), "--shared", str(shared), "--out", str(out)])
        assert r.exit_code == 0, r.output
    assert out1.read_bytes() == out2.read_bytes()
    assert [json.loads(x)["id"] for x in out1.read_text(encoding="utf-8").splitlines()] == ["news_x_001", "baomoi-2"]

    # record the digest, then change the corpus: the rebuild must refuse
    _, digest = build_slice(ids, shared, None)
    ids.write_text(f"# sha256 {digest}\n" + ids.read_text(encoding="utf-8"), encoding="utf-8")
    assert build_slice(ids, shared, None)[1] == digest
    with gzip.open(shared / "corpus" / "baomoi.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "baomoi-2", "title": "Tin 2", "text": "Đã sửa."}, ensure_ascii=False) + "\n")
    r = CliRunner().invoke(cli, ["eval-slice", str(ids), "--shared", str(shared), "--out", str(out1)])
    assert r.exit_code == 2 and "sha256" in r.output


def test_eval_slice_bad_inputs_name_the_problem(tmp_path):
    from ui import eval_cli  # noqa: F401  (registers the eval commands on the group)
    from ui.cli import cli

    shared = _tiny_shared(tmp_path / "shared")
    bad = tmp_path / "bad.ids"
    bad.write_text("baomoi-1 random\n", encoding="utf-8")  # no tab
    with pytest.raises(SliceError, match="bad.ids line 1"):
        read_ids(bad)
    missing = tmp_path / "missing.ids"
    missing.write_text("baomoi-1\trandom\nbaomoi-99\trandom\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval-slice", str(missing), "--shared", str(shared), "--out", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 2 and "baomoi-99" in r.output
    assert not (tmp_path / "o.jsonl").exists()
    r = CliRunner().invoke(cli, ["eval-slice", str(tmp_path / "nope.ids"), "--shared", str(shared), "--out", "x"])
    assert r.exit_code == 2 and "nope.ids" in r.output
