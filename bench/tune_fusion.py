"""Grid over the fusion settings (RRF k, channel weights, DBSF) on a ViQuAD-style dev set.

    .venv/bin/python -m bench.tune_fusion [--dir ../shared/eval/viquad2] [--limit N]
                                          [--out reports/tune_fusion.md]

Ingests the corpus into the eval store (unchanged paragraphs are skipped), then ranks every
answerable question, as written and with its diacritics removed, under each setting, and
reports document-level MRR@10 / hit@1 / hit@5.

Local-mode Qdrant fuses in Python, and scoring a sparse query there costs ~0.3-0.8 s on 1,000
chunks, so each channel's ranked list (dense, lex, fold; top `prefetch_limit`) is fetched once
per question and the grid fuses those lists with qdrant-client's own fusion functions, the
ones local mode runs for `query_points(prefetch=…, query=Rrf/DBSF)`. Not replayed: the
province/year soft boost (0.01, a tie-breaker). The chosen values go into rag/settings.py
defaults and the table into docs/benchmarks.md; a dev set, so re-check on other data before trusting
small differences.
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

from bench.common import REPORTS, SHARED, md_table, write_report


def channel_lists(store, embedder, settings, question: str) -> list[list]:
    """The dense, lex and fold ranked lists (raw scores) for one question, as the retriever
    would prefetch them, after restoring diacritics for an unaccented question."""
    from rag import lexical, vntext
    from rag.fusion import FusionSpec
    from rag.retrieve import restore_query

    q = vntext.display(question).strip()
    if vntext.is_unaccented(q):
        q = restore_query(store, q, FusionSpec.from_settings(settings, unaccented=True))
    queries = {"dense": embedder.embed_query(q).tolist(), "lex": lexical.query_vector(q, "lex"),
               "fold": lexical.query_vector(q, "fold")}
    out = []
    for ch, query in queries.items():
        if ch != "dense" and not query.indices:
            out.append([])
            continue
        res = store.client.query_points(store.name, query=query, using=ch, limit=settings.prefetch_limit,
                                        with_payload=["doc_id"])
        out.append(res.points)
    return out


def fuse(chans: list[list], spec) -> list:
    """qdrant-client's own fusion over the cached channel lists (what local mode runs), as the
    FusionSpec `spec` says; `chans` in the order dense, lex, fold."""
    from qdrant_client.hybrid.fusion import distribution_based_score_fusion, reciprocal_rank_fusion

    weights = [spec.weights.get(ch, 0.0) for ch in ("dense", "lex", "fold")]
    used = [(c, w) for c, w in zip(chans, weights) if c and w > 0]
    if spec.method == "dbsf":
        return distribution_based_score_fusion([[p.model_copy() for p in c] for c, _ in used], limit=spec.candidates)
    return reciprocal_rank_fusion([c for c, _ in used], limit=spec.candidates, ranking_constant_k=spec.rrf_k,
                                  weights=[w for _, w in used])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(SHARED / "eval" / "viquad2"))
    ap.add_argument("--limit", type=int, default=None, help="first N answerable questions only")
    ap.add_argument("--out", default=str(REPORTS / "tune_fusion.md"))
    args = ap.parse_args()

    from eval.metrics import dedup, hit_at, mrr_at
    from eval.runner import _MemoQuery, corpus_collection, prepare_corpus
    from rag import vntext
    from rag.embedders import get_embedder
    from rag.fusion import FusionSpec
    from rag.settings import Settings, apply_process_env
    from rag.store import Store

    apply_process_env()
    data = Path(args.dir)
    corpus = data / "corpus.jsonl"
    recs = [json.loads(line) for line in (data / "questions.jsonl").open(encoding="utf-8") if line.strip()]
    recs = [r for r in recs if not r.get("unanswerable") and r.get("gold_sources")][: args.limit]
    base = Settings()
    embedder = _MemoQuery(get_embedder(base))
    name = corpus_collection(corpus, embedder.id)
    base = base.model_copy(update={"collection": name, "data_dir": base.data_dir / "eval"})
    variants = {"accented": [r["question"] for r in recs], "unaccented": [vntext.fold(r["question"]) for r in recs]}
    gold = [r["gold_sources"] for r in recs]

    # each variant has its own folded-channel weight, so it is tuned on its own axis
    grid_common = {"rrf_k": [2, 3, 5, 10, 20, 60], "weight_dense": [0.7, 1.0, 1.5]}
    fold_axis = {"accented": ("weight_fold", [0.25, 0.5, 1.0]),
                 "unaccented": ("weight_fold_unaccented", [0.5, 1.0, 1.5])}
    rows: list[dict] = []
    with Store(base, name) as store:
        prepare_corpus(corpus, store, base, embedder, progress=True)
        lists = {v: [channel_lists(store, embedder, base, q) for q in qs] for v, qs in variants.items()}
        for variant, per_q in lists.items():
            fkey, fvals = fold_axis[variant]
            configs = [dict(zip(("rrf_k", "weight_dense", fkey), v))
                       for v in itertools.product(grid_common["rrf_k"], grid_common["weight_dense"], fvals)]
            configs.append({"fusion": "dbsf"})
            for cfg in configs:
                spec = FusionSpec.from_settings(base.model_copy(update=cfg), variant == "unaccented")
                mrr = h1 = h5 = 0.0
                for chans, g in zip(per_q, gold):
                    ranked = dedup(str(p.payload["doc_id"]) for p in fuse(chans, spec))
                    mrr += mrr_at(ranked, g, 10)
                    h1 += hit_at(ranked, g, 1)
                    h5 += hit_at(ranked, g, 5)
                n = len(per_q)
                row = {"variant": variant, **cfg, "mrr@10": mrr / n, "hit@1": h1 / n, "hit@5": h5 / n}
                rows.append(row)
                print(json.dumps(row), flush=True)

    md = [f"# Fusion grid on {data.name} ({len(recs)} answerable questions)", "",
          f"Document-level ranking; {time.strftime('%Y-%m-%d %H:%M')}. Current defaults: rrf_k={Settings().rrf_k}, "
          f"weight_dense={Settings().weight_dense}, weight_fold={Settings().weight_fold}, "
          f"weight_fold_unaccented={Settings().weight_fold_unaccented}.", ""]
    metrics = ("mrr@10", "hit@1", "hit@5")
    for variant in variants:
        vr = sorted((r for r in rows if r["variant"] == variant), key=lambda r: -r["mrr@10"])
        table = [[", ".join(f"{k}={v}" for k, v in r.items() if k != "variant" and k not in metrics),
                  *(f"{r[m]:.3f}" for m in metrics)] for r in vr]
        md += [f"## {variant} questions (best first)", "", md_table(table, ["setting", "MRR@10", "hit@1", "hit@5"]), ""]
    write_report(args.out, md, echo=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
