"""Calibrate the extractive refusal threshold (`refuse_below`) on data: a ViQuAD-style dev set
(with its unanswerable questions) and the shipped news suite over the sample articles.

    .venv/bin/python -m bench.calibrate_refusal [--dir ../shared/eval/viquad2] [--limit N]
                                                [--out reports/calibrate_refusal.md]

Every question is answered once with refusal switched off, keeping the answer's confidence (the
best sentence score) and whether the answer passes (eval.metrics.verdict). A threshold t then
refuses exactly the questions with confidence < t, so each t is scored without asking again:
  accuracy(t) = (answerable answered correctly with conf ≥ t + unanswerable with conf < t) / n.
The pick maximises the mean of the per-set accuracies (the 63-case news suite weighs as much as
the 500 ViQuAD questions: both kinds of question matter); among thresholds within TIE of the
best it takes the highest, since answering from an unrelated passage costs a user's trust more
than a refusal does. Questions in another language are left out: the cross-lingual answerer
refuses by its own rule (rag.extractive.extract_crosslingual), not by this threshold. Prints the
table, writes the report.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.common import REPORTS, ROOT, SHARED, md_table, write_report

NEVER = -1e9  # refuse_below that never refuses (a question with no candidate still is)
TIE = 0.005  # mean-accuracy differences below this are noise at these set sizes


def collect(suite: Path, corpus: Path, base, embedder, log) -> list[dict]:
    """Scored rows (eval.runner.run_system) for a suite over a corpus, refusal off."""
    from eval.runner import corpus_collection, prepare_corpus, run_system
    from eval.suite import load_suite
    from rag.assistant import Assistant
    from rag.store import Store

    name = corpus_collection(corpus, embedder.id)
    settings = base.model_copy(update={"collection": name, "data_dir": base.data_dir / "eval", "refuse_below": NEVER})
    cases, bad = load_suite(suite)
    for b in bad:
        log(f"skipped: {b}")
    with Store(settings, name) as store:
        prepare_corpus(corpus, store, settings, embedder, progress=True, log=log)
        rows = run_system(cases, Assistant(settings, store=store, embedder=embedder), store, progress=True, log=log)
    return [r for r in rows if r.get("language", "vi") == "vi"]


def sweep(rows: list[dict], thresholds: list[float]) -> list[dict]:
    out = []
    ans = [r for r in rows if not r["unanswerable"]]
    una = [r for r in rows if r["unanswerable"]]
    for t in thresholds:
        right = sum(1 for r in ans if r.get("pass") and (r.get("confidence") or 0) >= t)
        refused_ans = sum(1 for r in ans if (r.get("confidence") or 0) < t)
        caught = sum(1 for r in una if (r.get("confidence") or 0) < t)
        refused = refused_ans + caught
        out.append({"t": t, "accuracy": (right + caught) / max(1, len(rows)),
                     "answered_right": right / max(1, len(ans)), "refused_answerable": refused_ans / max(1, len(ans)),
                     "refusal_recall": caught / len(una) if una else None,
                     "refusal_precision": caught / refused if refused else None})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(SHARED / "eval" / "viquad2"))
    ap.add_argument("--limit", type=int, default=None, help="ViQuAD questions (evenly spread)")
    ap.add_argument("--out", default=str(REPORTS / "calibrate_refusal.md"))
    args = ap.parse_args()

    from eval.viquad import convert
    from rag.embedders import get_embedder
    from rag.settings import Settings, apply_process_env

    apply_process_env()
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    base = Settings()
    embedder = get_embedder(base)
    work = Path(args.out).parent / "calibrate_refusal"
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.dir)
    vq_suite = work / "viquad.jsonl"
    convert(data / "questions.jsonl", vq_suite, limit=args.limit, log=log)
    sets = {
        "news_vi": collect(ROOT / "eval" / "suites" / "news_vi.jsonl", ROOT / "data" / "sample", base, embedder, log),
        data.name: collect(vq_suite, data / "corpus.jsonl", base, embedder, log),
    }
    for name, rows in sets.items():
        (work / f"{name}_rows.jsonl").write_text(
            "\n".join(json.dumps({k: r.get(k) for k in ("id", "type", "unanswerable", "confidence", "pass", "answer")},
                                 ensure_ascii=False) for r in rows), encoding="utf-8")
    thresholds = [round(0.30 + 0.02 * i, 2) for i in range(46)]
    curves = {name: sweep(rows, thresholds) for name, rows in sets.items()}
    mean_acc = [sum(curves[n][i]["accuracy"] for n in curves) / len(curves) for i in range(len(thresholds))]
    top = max(mean_acc)
    best_i = max(i for i in range(len(thresholds)) if mean_acc[i] >= top - TIE)
    current_i = min(range(len(thresholds)), key=lambda i: abs(thresholds[i] - base.refuse_below))

    def fmt(v):
        return "–" if v is None else f"{v:.3f}"

    md = ["# Refusal threshold calibration", "",
          f"{time.strftime('%Y-%m-%d %H:%M')}; embedder {embedder.id}; current refuse_below={base.refuse_below}. "
          + "; ".join(f"{n}: {len(r)} questions ({sum(x['unanswerable'] for x in r)} unanswerable)" for n, r in sets.items()),
          "", f"**Best: refuse_below = {thresholds[best_i]}** (mean accuracy {mean_acc[best_i]:.3f}, the highest "
          f"threshold within {TIE} of the best {top:.3f}; "
          f"at the current value {mean_acc[current_i]:.3f}).", ""]
    table = []
    for i, t in enumerate(thresholds):
        if i % 2 and i not in (best_i, current_i):
            continue
        cells = [f"{t:.2f}" + (" ←" if i == best_i else ""), f"{mean_acc[i]:.3f}"]
        for n in curves:
            c = curves[n][i]
            cells += [fmt(c["accuracy"]), fmt(c["answered_right"]), fmt(c["refusal_precision"]), fmt(c["refusal_recall"])]
        table.append(cells)
    headers = ["t", "mean acc"] + [f"{n} {m}" for n in curves
                                   for m in ("acc", "answered right", "refusal P", "refusal R")]
    write_report(args.out, md + [md_table(table, headers)])


if __name__ == "__main__":
    main()
