"""Retrieval and extractive `ask` latency on the sample corpus, after warm-up.

    .venv/bin/python bench/latency.py [--repeat 20] [--out reports/bench_latency.md]

Questions: the shipped news suite (eval/suites/news_vi.jsonl). Prints p50/p95 of retrieval
(embed + Qdrant query + diversification) and of the whole extractive answer.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench_latency.md"))
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
    md = ["# Latency on the sample corpus (5 articles)", "",
          f"{len(questions)} questions × {args.repeat}, after warm-up; {time.strftime('%Y-%m-%d %H:%M')}", "",
          "| stage | p50 ms | p95 ms | mean ms |", "|---|---|---|---|"]
    md += [f"| {name} | {pct(v, 50):.1f} | {pct(v, 95):.1f} | {statistics.mean(v):.1f} |" for name, v in rows]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
