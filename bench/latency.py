"""Retrieval and extractive `ask` latency on the sample corpus, after warm-up.

    .venv/bin/python -m bench.latency [--repeat 20] [--out reports/bench_latency.md]

Questions: the shipped news suite (eval/suites/news_vi.jsonl). Prints p50/p95 of retrieval
(embed + Qdrant query + diversification) and of the whole extractive answer.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import REPORTS, ROOT, md_table, pct, write_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(REPORTS / "bench_latency.md"))
    args = ap.parse_args()

    from ingest.pipeline import Ingestor
    from rag.assistant import Assistant
    from rag.settings import SAMPLE_DIR, Settings
    from rag.store import Store

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="hoidap_lat_")))
    store = Store(settings)
    Ingestor(settings, store=store).run([SAMPLE_DIR], progress=False)
    assistant = Assistant(settings, store=store)
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "suites" / "news_vi.jsonl").open(encoding="utf-8")]
    for q in questions[:5]:  # warm-up: model pages, caches
        assistant.ask(q)
    retr, total = [], []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            assistant.retriever.search(q)
            retr.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assistant.ask(q)
            total.append((time.perf_counter() - t) * 1000)
    store.close()
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    rows = [("retrieval", retr), ("extractive ask", total)]
    write_report(args.out, [
        "# Latency on the sample corpus (5 articles)", "",
        f"{len(questions)} questions × {args.repeat}, after warm-up; {time.strftime('%Y-%m-%d %H:%M')}", "",
        md_table([[name, f"{pct(v, 50):.1f}", f"{pct(v, 95):.1f}", f"{statistics.mean(v):.1f}"] for name, v in rows],
                 ["stage", "p50 ms", "p95 ms", "mean ms"])])


if __name__ == "__main__":
    main()
