"""UIT-ViQuAD 2.0 style runner: a folder with corpus.jsonl (id, title, text: one paragraph per
line) and questions.jsonl (id, question, answers, gold_sources, unanswerable).

The questions are converted to the suite format (eval/suite.py; type "answerable" /
"unanswerable"; unanswerable cases keep neither answers nor gold sources, so retrieval metrics
are over answerable questions), then evaluated twice over the same collection and the same
baselines: as written, and with every diacritic removed from the questions (rag.vntext.fold),
the way many users type. Output:

  OUT/suite_accented.jsonl, OUT/suite_unaccented.jsonl   the converted suites
  OUT/accented/, OUT/unaccented/                         full reports (eval.report)
  OUT/summary.json, OUT/summary.md                       both runs side by side

Case ids are the same in both runs, so `hoidap eval-compare OUT/accented OUT/unaccented` lists
the questions that only fail without accents. Nothing about the data set is hard-coded here.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from eval.baselines import build_baselines
from eval.runner import EvalError, Log, corpus_collection, headline, prepare_corpus, run_suite
from rag import vntext
from rag.embedders import Embedder, get_embedder
from rag.settings import Settings
from rag.store import Store

VARIANTS = ("accented", "unaccented")


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


def spread(items: list[Any], limit: int | None) -> list[Any]:
    """`limit` items evenly spaced over the list (keeps the mix of a file sorted by kind)."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    return [items[(i * len(items)) // limit] for i in range(limit)]


def to_case(rec: dict[str, Any], unaccented: bool = False) -> dict[str, Any]:
    """One questions.jsonl record → one suite line."""
    q = str(rec.get("question") or "")
    unans = bool(rec.get("unanswerable"))
    case: dict[str, Any] = {"id": str(rec.get("id") or ""), "question": vntext.fold(q) if unaccented else q,
                            "type": "unanswerable" if unans else "answerable", "unanswerable": unans}
    if not unans:
        answers = [a for a in rec.get("answers") or [] if isinstance(a, str) and a.strip()]
        gold = [g for g in rec.get("gold_sources") or [] if isinstance(g, str) and g.strip()]
        if answers:
            case["answers"] = answers
        if gold:
            case["gold_sources"] = gold
    return case


def convert(questions_path: str | Path, out_path: str | Path, limit: int | None = None,
            unaccented: bool = False, log: Log = _stderr) -> int:
    """Write the suite for questions.jsonl; returns the number of cases written. Unreadable lines
    are reported and skipped (the suite loader then checks each case's fields)."""
    recs = []
    with Path(questions_path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                log(f"{Path(questions_path).name} line {n}: invalid JSON ({e.msg})")
                continue
            if not isinstance(rec, dict):
                log(f"{Path(questions_path).name} line {n}: not a JSON object")
                continue
            recs.append(rec)
    recs = spread(recs, limit)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as f:
        for rec in recs:
            f.write(json.dumps(to_case(rec, unaccented), ensure_ascii=False) + "\n")
    return len(recs)


def _md_table(columns: dict[str, dict[str, Any]]) -> str:
    return headline({}, columns, tablefmt="github")


def combined_columns(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """System and baselines, each accented then unaccented: "name" / "name (no accents)"."""
    cols: dict[str, dict[str, Any]] = {}
    names = ["hoidap"] + list(runs[VARIANTS[0]].get("baselines", {}))
    for name in names:
        for v in VARIANTS:
            s = runs[v] if name == "hoidap" else runs[v].get("baselines", {}).get(name)
            if s is not None:
                cols[name if v == "accented" else f"{name} (no accents)"] = s
    return cols


def run_viquad(data_dir: str | Path, out_dir: str | Path, settings: Settings, limit: int | None = None,
               baselines: bool = False, progress: bool = True, *, embedder: Embedder | None = None,
               log: Log = _stderr) -> dict[str, Any]:
    """Convert, ingest the corpus once, run accented and unaccented questions; write both reports
    and the combined summary. Returns the combined summary."""
    t0 = time.perf_counter()
    data_dir, out = Path(data_dir), Path(out_dir)
    corpus, qpath = data_dir / "corpus.jsonl", data_dir / "questions.jsonl"
    for p in (corpus, qpath):
        if not p.is_file():
            raise EvalError(f"{p} is missing: --dir must hold corpus.jsonl and questions.jsonl")
    suites = {v: out / f"suite_{v}.jsonl" for v in VARIANTS}
    n = 0
    for v, path in suites.items():
        n = convert(qpath, path, limit=limit, unaccented=(v == "unaccented"), log=log if v == "accented" else (lambda m: None))
    if n == 0:
        raise EvalError(f"{qpath} has no question")
    embedder = embedder or get_embedder(settings)
    name = corpus_collection(corpus, embedder.id)
    # same folder as eval.runner uses: never the main store the web app may hold open
    settings = settings.model_copy(update={"collection": name, "data_dir": settings.data_dir / "eval"})
    runs: dict[str, dict[str, Any]] = {}
    with Store(settings, name) as store:
        corpus_info = prepare_corpus(corpus, store, settings, embedder, progress=progress, log=log)
        systems = build_baselines(store, embedder, cache_dir=settings.data_dir / "eval_cache",
                                  progress=progress, log=log) if baselines else None
        for v in VARIANTS:
            log(f"viquad: {v} questions ({n})")
            runs[v] = run_suite(suites[v], corpus, out / v, settings, progress=progress, embedder=embedder,
                                store=store, ingest=False, baseline_systems=systems,
                                suite_name=f"{data_dir.name} ({v} questions)", log=log)
            runs[v]["meta"]["corpus_info"] = corpus_info
            (out / v / "summary.json").write_text(json.dumps(runs[v], ensure_ascii=False, indent=2), encoding="utf-8")
    cols = combined_columns(runs)
    combined = {
        "dataset": str(data_dir.resolve()), "cases": n, "limit": limit, "corpus_info": corpus_info,
        "embedder": embedder.id, "seconds": round(time.perf_counter() - t0, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "runs": {col: {"n": s.get("n"), "overall": s.get("overall"), "by_type": s.get("by_type")}
                 for col, s in cols.items()},
        "reports": {v: str(out / v / "report.html") for v in VARIANTS},
    }
    (out / "summary.json").write_text(json.dumps(combined, ensure_ascii=False, indent=2), encoding="utf-8")
    md = [f"# {data_dir.name}: accented and unaccented questions", "",
          f"{n} questions ({', '.join(f'{t}: {c}' for t, c in _type_counts(runs['accented']).items())}); "
          f"{corpus_info['articles']} paragraphs; embedder {embedder.id}. Retrieval metrics are over "
          f"answerable questions (document level); baselines are retrieval-only, so their answer "
          f"metrics are –. Full reports: [accented](accented/report.md), "
          f"[unaccented](unaccented/report.md).", "", _md_table(cols), ""]
    (out / "summary.md").write_text("\n".join(md), encoding="utf-8")
    return combined


def _type_counts(summary: dict[str, Any]) -> dict[str, int]:
    return {t: v.get("n", 0) for t, v in summary.get("by_type", {}).items()}


def combined_headline(combined: dict[str, Any]) -> str:
    return headline({}, columns=combined["runs"])
