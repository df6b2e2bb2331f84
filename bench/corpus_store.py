"""Serving figures of a real store that `hoidap ingest` built from a whole corpus (not synthetic).

    HOIDAP_DATA_DIR=/path/to/store nice -n 10 .venv/bin/python -m bench.corpus_store \\
        --corpus ../shared/corpus/baomoi.jsonl.gz [--questions 100] [--ingest-log DIR] \\
        [--out reports/baomoi_full.md]

The store is opened with the settings from the environment, like `hoidap serve` would, so every
vector in it is a real embedding of a real chunk. Questions are article titles taken at an even
stride through the corpus (the 100 titles are 100 different articles; a title is the closest
thing to a question a corpus without questions holds), asked as typed and without diacritics.

Measured, in this one process (its peak RSS is a serving process's):
- cold start: imports, opening the store, the first question;
- extractive `Assistant.ask` p50/p95 end to end, and its embed/search stages, without a filter,
  with a province filter (the most common province) and with province + a date range;
- dense recall@10 of the HNSW index against the same engine's exact search, real query vectors;
- known-item retrieval: how often the article a title belongs to is the first / among the cited
  passages (a sanity check that answers at this size still come from the right article).
With `--ingest-log DIR` (what bench/baomoi_ingest.sh writes) the report starts with the ingest
run itself: wall time, articles, chunks, tokens, throughput, peak RSS.
"""
from __future__ import annotations

import time

T_START = time.perf_counter()  # the cold start counts this process's imports

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.common import REPORTS, SHARED, du_mb, md_table, pct, rss_mb, write_report  # noqa: E402


def titles(corpus: Path, n: int) -> list[tuple[str, str]]:
    """(article id, title) at an even stride through the corpus; ids are what hoidap stores as doc_id."""
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    all_titles = [(str(r.get("id") or f"{corpus.name}#{i}"), (r.get("title") or "").strip())
                  for i, r in enumerate(recs, 1)]
    stride = max(1, len(all_titles) // n)
    picked = [t for t in all_titles[::stride] if len(t[1].split()) >= 5]
    return picked[:n]


def ingest_figures(log_dir: Path) -> dict:
    """The background ingest's own record: its --json summary and /usr/bin/time -v output."""
    out: dict = {}
    summary = log_dir / "summary.json"
    if summary.exists() and summary.stat().st_size:
        s = json.loads(summary.read_text(encoding="utf-8"))
        out.update(stored=len(s["stored"]) if isinstance(s["stored"], list) else s["stored"],
                   unchanged=len(s["unchanged"]) if isinstance(s["unchanged"], list) else s["unchanged"],
                   failed=len(s["failed"]), duplicates=len(s["duplicates"]), chunks=s["chunks"],
                   tokens=s["tokens"], seconds=s["seconds"], interrupted=s["interrupted"])
    err = log_dir / "stderr.log"
    if err.exists():
        text = err.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        if m:
            out["peak_rss_mb"] = int(m.group(1)) / 1024
        m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
        if m:
            parts = [float(x) for x in m.group(1).split(":")]
            out["wall_s"] = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
    times = log_dir / "times.log"
    if times.exists():
        out["runs"] = times.read_text(encoding="utf-8").strip().splitlines()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "baomoi.jsonl.gz"))
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--ingest-log", help="folder with the ingest's summary.json, stderr.log, times.log")
    ap.add_argument("--out", default=str(REPORTS / "baomoi_full.md"))
    args = ap.parse_args()

    from qdrant_client import models

    from rag import vntext
    from rag.assistant import Assistant
    from rag.embedders import get_embedder
    from rag.settings import Settings
    from rag.store import Filters, Store
    t_import = time.perf_counter() - T_START

    settings = Settings()
    t = time.perf_counter()
    store = Store(settings)
    t_open = time.perf_counter() - t
    t = time.perf_counter()
    embedder = get_embedder(settings)
    assistant = Assistant(settings, store=store, embedder=embedder)
    t_model = time.perf_counter() - t
    items = titles(Path(args.corpus), args.questions)
    qs = [t for _, t in items]
    t = time.perf_counter()
    assistant.ask(qs[0])
    t_first = (time.perf_counter() - t) * 1000

    chunks = store.count_chunks()
    docs = store.list_documents()
    provinces = Counter(d["province"] for d in docs if d.get("province"))
    top_province = provinces.most_common(1)[0][0] if provinces else None
    years = sorted(d["published"][:4] for d in docs if d.get("published"))
    filters = {"none": None}
    if top_province:
        filters["province"] = Filters(province=top_province)
        filters["province+date"] = Filters(province=top_province, since=f"{years[len(years) // 2]}-01-01",
                                           until=f"{years[-1]}-12-31") if years else None
    filters = {k: v for k, v in filters.items() if k == "none" or v is not None}

    for q in qs[1:6]:  # warm-up
        assistant.ask(q)
    rows: dict[str, dict] = {}
    found = {"first retrieved": 0, "retrieved": 0, "cited": 0}
    for name, f in filters.items():
        for typed in ("as typed", "no diacritics"):
            if typed == "no diacritics" and name != "none":
                continue
            lat, emb, srch = [], [], []
            for doc_id, q in items:
                question = vntext.fold(q) if typed == "no diacritics" else q
                t = time.perf_counter()
                res = assistant.ask(question, filters=f)
                lat.append((time.perf_counter() - t) * 1000)
                emb.append(res.timings_ms.get("embed", 0.0))
                srch.append(res.timings_ms.get("search", 0.0))
                if name == "none" and typed == "as typed":
                    got = [r.doc_id for r in res.retrieved]
                    found["first retrieved"] += bool(got) and got[0] == doc_id
                    found["retrieved"] += doc_id in got
                    found["cited"] += doc_id in {c.doc_id for c in res.citations}
            rows[f"{name}, {typed}"] = {"p50": pct(lat, 50), "p95": pct(lat, 95),
                                        "embed_p50": pct(emb, 50), "search_p50": pct(srch, 50)}
            print(name, typed, rows[f"{name}, {typed}"], file=sys.stderr, flush=True)

    recall: dict[str, float] = {}
    if store.kind != "local":  # local mode is exact search already
        for name in ("none", "province"):
            f = filters.get(name)
            flt = models.Filter(must=f.conditions()) if f else None
            hits = total = 0
            for q in qs:
                v = embedder.embed_query(q).tolist()
                ids = lambda **kw: {p.id for p in store.client.query_points(  # noqa: E731
                    store.name, query=v, using="dense", limit=10, query_filter=flt, **kw).points}
                exact = ids(search_params=models.SearchParams(exact=True))
                hits += len(ids() & exact)
                total += len(exact)
            recall[name] = hits / max(1, total)
    rss = rss_mb()
    store.close()

    ing = ingest_figures(Path(args.ingest_log)) if args.ingest_log else {}
    f1 = lambda x: "–" if x is None else f"{x:,.1f}"  # noqa: E731
    md = ["# The whole baomoi corpus, ingested and served", "",
          f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench.corpus_store` on the "
          f"store at `{settings.store_path}` ({store.kind} backend, embedder {settings.embedder_id}); 2 CPU cores.", ""]
    if ing:
        md += ["## Ingest (`hoidap ingest` on the whole corpus, one run in the background)", "",
               md_table(ingest_rows(ing, f1), ["metric", "value"]), ""]
    md += ["## The store", "",
           f"- {chunks:,} chunks of {len(docs):,} articles; {du_mb(settings.store_path):,.0f} MB on disk.",
           f"- Cold start of a serving process: imports {t_import:.2f} s, store open {t_open:.2f} s, "
           f"embedder and assistant {t_model:.2f} s, first question {t_first:,.0f} ms.",
           f"- Peak RSS of this process (store open, embedder loaded, {len(qs)} questions asked many ways): "
           f"{rss:,.0f} MB.",
           f"- Province filter: {top_province} ({provinces.get(top_province, 0):,} articles)"
           + (f"; date range {filters['province+date'].since} to {filters['province+date'].until}."
              if "province+date" in filters else "."), "",
           f"## Extractive `ask`, end to end ({len(qs)} titles as questions, after 5 warm-up)", "",
           md_table([[k, f1(r["p50"]), f1(r["p95"]), f1(r["embed_p50"]), f1(r["search_p50"])] for k, r in rows.items()],
                    ["filter, question", "p50 ms", "p95 ms", "embed p50 ms", "search p50 ms"]),
           "", "## Retrieval checks", "",
           f"- Known item (the article a title belongs to): first passage retrieved for {found['first retrieved']}/"
           f"{len(qs)} titles, among the {settings.top_k} passages for {found['retrieved']}/{len(qs)}, cited in the "
           f"answer for {found['cited']}/{len(qs)} (misses are other articles on the same story, the same article "
           "stored once under another id as a duplicate, or an extractive refusal)."]
    for name, r in recall.items():
        md.append(f"- Dense recall@10 of HNSW vs exact search ({'no filter' if name == 'none' else name + ' filter'}): "
                  f"{r:.4f} (ef={settings.edge_hnsw_ef}, real query and chunk vectors).")
    write_report(args.out, md, data={"ingest": ing, "chunks": chunks, "articles": len(docs), "ask": rows,
                                     "recall": recall, "rss_mb": rss, "known_item": {**found, "of": len(qs)}})


def ingest_rows(ing: dict, f1) -> list[list[str]]:
    """The ingest run's figures as (metric, value) rows."""
    wall = ing.get("wall_s") or ing.get("seconds")
    n_art = ing.get("stored", 0)
    return [
        ["articles stored / unchanged / duplicates / failed",
         f"{n_art:,} / {ing.get('unchanged', 0):,} / {ing.get('duplicates', 0):,} / {ing.get('failed', 0):,}"],
        ["chunks written", f"{ing.get('chunks', 0):,}"],
        ["e5 tokens embedded", f"{ing.get('tokens', 0):,}"],
        ["wall time", f"{wall / 3600:.2f} h ({wall:,.0f} s)" if wall else "–"],
        ["articles/s, chunks/s, tokens/s" if wall else "throughput",
         f"{n_art / wall:.2f}, {ing.get('chunks', 0) / wall:.1f}, {ing.get('tokens', 0) / wall:,.0f}" if wall else "–"],
        ["peak RSS of the ingest process", f"{f1(ing.get('peak_rss_mb'))} MB"],
        ["interrupted", str(ing.get("interrupted"))],
        ["runs", "; ".join(ing.get("runs", []))],
    ]


if __name__ == "__main__":
    main()
