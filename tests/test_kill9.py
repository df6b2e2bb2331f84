"""kill -9 the real `hoidap ingest` at random moments, many times over, then re-run it: the store
must equal a clean ingest (same articles, versions, chunk counts, chunk texts and vectors), and
after every kill no article may be half-visible.

Iterations: HOIDAP_KILL_ITERATIONS (2 in the default run, more under `make reliability`). Writes
go in batches of 4 chunks so that a run has many write points for a kill to land between."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, SAMPLE, make_settings, record


def _corpus(root: Path) -> None:
    """~30 short articles (files and JSONL records) cut from the sample: quick to embed, so that
    a run is mostly startup + writes and the random kills land in every phase."""
    root.mkdir()
    from rag.vntext import sentences

    k = 0
    records = []
    for p in sorted(SAMPLE.glob("*.txt")):
        lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if len(ln) > 80]
        for i in range(0, min(len(lines), 12), 2):
            body = "\n\n".join(lines[i:i + 2])
            if k % 4 == 3:
                records.append({"id": f"rec-{k}", "title": sentences(body)[0][:80], "text": body})
            else:
                (root / f"{k:02d}.txt").write_text(f"Bài {k}\n\n{body}\n", encoding="utf-8")
            k += 1
    (root / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                        encoding="utf-8")


def _snapshot(data: Path) -> tuple[dict, dict, set]:
    """(docs {id: (hash, n_chunks, text)}, chunks {(doc, version, index): (text, vector)}, pending)."""
    from rag.store import Store

    with Store(make_settings(data)) as store:
        docs = {d["doc_id"]: (d["content_hash"], d["n_chunks"], d["text"]) for d in store.list_documents(with_text=True)}
        chunks, offset = {}, None
        while True:
            pts, offset = store.client.scroll(store.name, limit=512, offset=offset, with_payload=True,
                                              with_vectors=["dense"])
            for p in pts:
                key = (p.payload["doc_id"], p.payload["version"], p.payload["index"])
                assert key not in chunks, f"duplicate chunk {key}"
                chunks[key] = (p.payload["text"], np.asarray(p.vector["dense"], dtype=np.float32))
            if offset is None:
                break
        return docs, chunks, store.pending()


def _delete_some(data: Path, rnd: random.Random) -> int:
    from rag.store import Store

    with Store(make_settings(data)) as store:
        ids = [d["doc_id"] for d in store.list_documents()]
        gone = rnd.sample(ids, k=max(1, len(ids) // 2))
        store.delete_documents(gone)
        return len(gone)


def test_kill9_during_ingest_then_resume_equals_clean(tmp_path):
    iterations = int(os.environ.get("HOIDAP_KILL_ITERATIONS", "2"))
    rnd = random.Random(int(os.environ.get("HOIDAP_KILL_SEED", "9")))
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    cmd = [sys.executable, "-m", "ui.cli", "ingest", "--quiet", str(corpus)]

    def env(data: Path) -> dict:
        return dict(os.environ, HOIDAP_DATA_DIR=str(data), HOIDAP_INGEST_BATCH_CHUNKS="4")

    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, env=env(tmp_path / "clean"), capture_output=True, text=True, timeout=900)
    full = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    clean_docs, clean_chunks, _ = _snapshot(tmp_path / "clean")
    assert len(clean_docs) >= 25

    killed = tmp_path / "killed"
    run_len = full
    stats = {"kills": 0, "finished_before_kill": 0, "deleted_between": 0, "visible_checked": 0}
    for _ in range(iterations):
        if killed.exists():
            docs, _, pending = _snapshot(killed)
            if set(docs) == set(clean_docs) and not pending:  # nothing left to do: make work again
                stats["deleted_between"] += _delete_some(killed, rnd)
        p = subprocess.Popen(cmd, cwd=ROOT, env=env(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started, delay = time.monotonic(), rnd.uniform(0.3, 0.95 * run_len)
        while p.poll() is None and time.monotonic() - started < delay:
            time.sleep(0.02)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            stats["kills"] += 1
        else:  # it finished first: aim the next kills within the length of such a run
            stats["finished_before_kill"] += 1
            run_len = time.monotonic() - started
        p.wait()
        # after every kill: whatever is visible is whole and identical to the clean version
        docs, chunks, pending = _snapshot(killed)
        for doc_id, (h, n, text) in docs.items():
            if doc_id in pending:
                continue
            assert (h, n, text) == clean_docs[doc_id], doc_id
            got = sorted(k for k in chunks if k[0] == doc_id and k[1] == h)
            assert got == [(doc_id, h, i) for i in range(n)], (doc_id, got)
            stats["visible_checked"] += 1
    r = subprocess.run(cmd, cwd=ROOT, env=env(killed), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    docs, chunks, pending = _snapshot(killed)
    assert not pending
    assert docs == clean_docs
    assert set(chunks) == set(clean_chunks)  # same chunks, no leftovers of interrupted writes
    for key, (text, vec) in clean_chunks.items():
        assert chunks[key][0] == text
        assert float(np.dot(chunks[key][1], vec)) > 0.999, key  # same vector (batching may differ)
    record("kill9", iterations=iterations, **stats, clean_run_seconds=round(full, 1),
           articles=len(clean_docs), chunks=len(clean_chunks))
