"""Run an evaluation suite against a corpus: the assistant (and optionally retrieval baselines)
on every case, scored and written as DIR/results.jsonl, DIR/summary.json, DIR/report.md,
DIR/report.html and DIR/plots/ (see eval.report).

The corpus (a folder or a JSONL file) is ingested into its own collection under ``<data_dir>/eval`` (its own
Qdrant folder, so an eval never locks out the web app), named from the corpus path (``eval_<slug>_<hash>``, the hash over the resolved path and the
embedder id). Unchanged articles are skipped by the ingestor, so a second run does not re-embed;
articles no longer in the corpus are removed, so the collection mirrors the corpus exactly.

Per case the assistant answers normally (settings' top_k) and, separately, ranks documents
deeply enough (`Assistant.rank`, RANK_DEPTH distinct documents) for hit@10/nDCG@10. Each answer
object is recorded as `Answer.to_json()` in DIR/answers.jsonl, the bytes `hoidap ask --json` and
`/api/ask` give. Latency is the wall time of the answer call alone.
"""
from __future__ import annotations

import hashlib
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

from eval.baselines import build_baselines
from eval.metrics import dedup, score_case, summarize
from eval.report import fmt_metric, write_report, write_results
from eval.suite import Case, load_suite
from rag import questions, vntext
from rag.embedders import Embedder, get_embedder
from rag.settings import Settings
from rag.store import Store

RANK_DEPTH = 20  # distinct documents kept in each ranked list
# metrics a retrieval-only baseline cannot have
ANSWER_KEYS = ("must_contain_pass", "exact_match", "token_f1", "answer_recall", "citation_precision",
               "citation_recall", "quote_verbatim", "refusal_correct", "language_match", "pass",
               "short_given", "short_em", "short_f1", "answerable_refused")
HEADLINE = [
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("hit@10", "hit@10"), ("recall@10", "recall@10"),
    ("mrr@10", "MRR@10"), ("ndcg@10", "nDCG@10"), ("pass", "pass (verdict)"),
    ("must_contain_pass", "must-contain"), ("answer_recall", "answer recall"), ("token_f1", "token F1"),
    ("exact_match", "EM"), ("short_given", "short answer given"), ("short_em", "short answer EM"),
    ("short_f1", "short answer F1"), ("citation_precision", "citation P"), ("citation_recall", "citation R"),
    ("quote_verbatim", "quote verbatim"), ("refusal_correct", "refusal accuracy"),
    ("refusal_precision", "refusal P"), ("refusal_recall", "refusal R"), ("answerable_refused", "answerable refused"),
    ("language_match", "language match"), ("latency_p50_ms", "latency p50 ms"),
    ("latency_p95_ms", "latency p95 ms"),
]

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


class EvalError(ValueError):
    """A problem with the inputs of an evaluation run; the message says what to fix."""


# ---------------------------------------------------------------- corpus

def corpus_collection(corpus: str | Path, embedder_id: str) -> str:
    """``eval_<slug>_<8 hex>``: slug from the folder name (or parent + file stem), hash over the
    resolved path and the embedder id (another embedder gets its own collection, not an error)."""
    p = Path(corpus).resolve()
    if p.is_dir():
        base = p.name
    else:
        stem = p.name
        for suffix in (".gz", ".jsonl", ".txt", ".md", ".html", ".htm"):
            stem = stem.removesuffix(suffix)
        base = f"{p.parent.name}_{stem}"
    slug = re.sub(r"[^a-z0-9]+", "_", vntext.fold(base).lower()).strip("_")[:40].strip("_") or "corpus"
    digest = hashlib.sha1(f"{p}\0{embedder_id}".encode("utf-8")).hexdigest()[:8]
    return f"eval_{slug}_{digest}"


def prepare_corpus(corpus: str | Path, store: Store, settings: Settings, embedder: Embedder,
                   progress: bool = True, log: Log = _stderr) -> dict[str, Any]:
    """Ingest `corpus` into `store` (unchanged articles skipped) and delete stored articles that are
    no longer in it. Returns counts for the run's metadata."""
    from ingest.pipeline import Ingestor

    corpus = Path(corpus)
    if not corpus.exists():
        raise EvalError(f"no such corpus file or folder: {corpus}")
    report = Ingestor(settings, store=store, embedder=embedder).run([corpus], progress=progress)
    if report.interrupted:
        raise KeyboardInterrupt
    for src, reason in report.failed:
        log(f"corpus: skipped {src}: {reason}")
    seen = set(report.stored) | set(report.unchanged)
    if not seen:
        raise EvalError(f"no article could be read from {corpus}")
    stale = [d["doc_id"] for d in store.list_documents() if d["doc_id"] not in seen]
    store.delete_documents(stale)
    info = {"collection": store.name, "articles": len(seen), "embedded": len(report.stored),
            "unchanged": len(report.unchanged), "failed": len(report.failed), "removed": len(stale),
            "chunks_embedded": report.chunks, "seconds": round(report.seconds, 1)}
    log(f"corpus: {info['articles']} articles in collection {store.name} "
        f"({info['embedded']} embedded, {info['unchanged']} unchanged, {info['removed']} removed, "
        f"{info['failed']} failed)")
    return info


# ---------------------------------------------------------------- one system

class _MemoQuery:
    """The embedder with embed_query remembered for the current case, so ranking the documents
    after the answer call does not embed the same query again (and the answer call, measured
    first on a cleared memo, still pays its own embedding)."""

    def __init__(self, embedder: Embedder):
        self._e = embedder
        self.id, self.dim = embedder.id, embedder.dim
        self.memo: dict[str, Any] = {}

    def embed_query(self, text: str):
        if text not in self.memo:
            self.memo[text] = self._e.embed_query(text)
        return self.memo[text]

    def embed_passages(self, texts: list[str]):
        return self._e.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        return self._e.count_tokens(text)


def _doc_text(store: Store, cache: dict[str, str | None], doc_id: str) -> str | None:
    if doc_id not in cache:
        rec = store.get_document(doc_id)
        cache[doc_id] = rec.get("text") if rec else None
    return cache[doc_id]


def run_system(cases: list[Case], assistant: Any, store: Store, progress: bool = True,
               desc: str = "eval", log: Log = _stderr) -> list[dict[str, Any]]:
    """Ask every case; one scored row per case (see eval.metrics.score_case)."""
    from tqdm import tqdm

    texts: dict[str, str | None] = {}
    rows = []
    bar = tqdm(cases, desc=desc, unit="q", file=sys.stderr, dynamic_ncols=True, disable=not progress,
               mininterval=0.5)
    n_pass = 0
    for i, case in enumerate(bar, 1):
        row: dict[str, Any] = {"id": case.id, "question": case.question}
        if isinstance(assistant.embedder, _MemoQuery):
            assistant.embedder.memo.clear()
        try:
            t0 = time.perf_counter()
            res = assistant.ask(case.question, history=case.history or None)
            latency = (time.perf_counter() - t0) * 1000
            ranked = assistant.rank(case.question, case.history or None, RANK_DEPTH)
        except Exception as e:  # one broken case must not lose the run; it is reported and fails
            log(f"case {case.id}: {type(e).__name__}: {e}")
            row.update(answer="", short_answer=None, refused=False, retrieved=[], citations=[], quotes=[], latency_ms=None,
                       language=None, error=f"{type(e).__name__}: {e}")
            rows.append(score_case(case, row, {}))
            continue
        cites = res.citations
        row.update(
            answer=res.answer,
            short_answer=res.short_answer.text if res.short_answer else None,
            refused=res.refused,
            retrieved=ranked,
            citations=dedup(c.doc_id for c in cites),
            quotes=[{"doc_id": c.doc_id, "quote": c.quote} for c in cites],
            latency_ms=round(latency, 1),
            language=res.language,
            search_query=res.search_query,
            confidence=res.confidence,
            timings_ms=res.timings_ms,
            answer_json=res.to_json(),  # written to answers.jsonl, not results.jsonl
        )
        doc_texts = {c.doc_id: _doc_text(store, texts, c.doc_id) for c in cites}
        scored = score_case(case, row, doc_texts)
        rows.append(scored)
        n_pass += scored.get("pass") == 1.0
        if progress:
            bar.set_postfix(passed=f"{n_pass}/{i}", refresh=False)
    return rows


def run_baseline(cases: list[Case], system: Any, progress: bool = True, desc: str = "baseline") -> list[dict[str, Any]]:
    """Rank documents for every case with a retrieval-only system; answer metrics set to None."""
    from tqdm import tqdm

    rows = []
    for case in tqdm(cases, desc=desc, unit="q", file=sys.stderr, dynamic_ncols=True, disable=not progress,
                     mininterval=0.5):
        t0 = time.perf_counter()
        q = questions.standalone(case.question, case.history or None)
        ranked = system.rank(q, RANK_DEPTH)
        row = {"id": case.id, "question": case.question, "retrieved": ranked,
               "latency_ms": round((time.perf_counter() - t0) * 1000, 1)}
        scored = score_case(case, row)
        scored.update({k: None for k in ANSWER_KEYS})
        rows.append(scored)
    return rows


# ---------------------------------------------------------------- whole run

def run_suite(suite_path: str | Path, corpus: str | Path, out_dir: str | Path, settings: Settings,
              baselines: bool = False, progress: bool = True, *, embedder: Embedder | None = None,
              store: Store | None = None, ingest: bool = True, baseline_systems: dict[str, Any] | None = None,
              limit: int | None = None, suite_name: str | None = None, log: Log = _stderr) -> dict[str, Any]:
    """Evaluate the assistant on a suite over a corpus and write the reports into `out_dir`.

    `store`: an open store to use instead of the corpus's own collection (the caller owns it);
    `ingest=False` skips (re-)ingesting the corpus into it; `baseline_systems` reuses built
    baselines (eval.baselines.build_baselines) across runs on the same corpus.
    Returns the summary (also in DIR/summary.json), with "meta" and "baselines" added.
    """
    t_start = time.perf_counter()
    suite_path, corpus, out = Path(suite_path), Path(corpus), Path(out_dir)
    if not suite_path.is_file():
        raise EvalError(f"no such suite file: {suite_path}")
    if not corpus.exists():
        raise EvalError(f"no such corpus file or folder: {corpus}")
    cases, bad = load_suite(suite_path)
    for msg in bad:
        log(f"skipped: {msg}")
    if limit is not None:
        cases = cases[:limit]
    if not cases:
        raise EvalError(f"{suite_path} has no valid case")
    embedder = embedder or get_embedder(settings)
    own = store is None
    name = store.name if store is not None else corpus_collection(corpus, embedder.id)
    if own:
        # its own store folder too: an in-process store locks its whole folder, and an eval run must
        # not lock out the web app serving the main store (or the other way round)
        settings = settings.model_copy(update={"collection": name, "data_dir": settings.data_dir / "eval"})
    else:
        settings = settings.model_copy(update={"collection": name})
    if own:
        store = Store(settings, name)
    try:
        corpus_info = prepare_corpus(corpus, store, settings, embedder, progress, log) if ingest \
            else {"collection": store.name, "articles": len(store.list_documents())}
        from rag.assistant import Assistant

        memo = _MemoQuery(embedder)
        assistant = Assistant(settings, store=store, embedder=memo)
        results = run_system(cases, assistant, store, progress=progress, log=log)
        summary = summarize(results)
        base_summaries: dict[str, dict[str, Any]] = {}
        if baselines or baseline_systems:
            systems = baseline_systems or build_baselines(
                store, embedder, cache_dir=settings.data_dir / "eval_cache", progress=progress, log=log)
            for bname, system in systems.items():
                rows = run_baseline(cases, system, progress=progress, desc=bname)
                bsum = summarize(rows)
                write_results(out / "baselines" / bname, bsum, rows)
                base_summaries[bname] = bsum
    finally:
        if own:
            store.close()
    summary["meta"] = {
        "suite": str(suite_path), "corpus": str(corpus.resolve()), "cases": len(cases),
        "bad_lines": bad, "errors": sum(1 for r in results if r.get("error")),
        "embedder": embedder.id, "rank_depth": RANK_DEPTH, "corpus_info": corpus_info,
        "settings": {k: getattr(settings, k) for k in ("top_k", "fusion", "rrf_k", "prefetch_limit",
                                                        "chunk_tokens", "chunk_overlap", "answer_mode")},
        "seconds": round(time.perf_counter() - t_start, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    summary["baselines"] = base_summaries
    write_report(out, summary, results, base_summaries, suite_name or suite_path.stem)
    return summary


# ---------------------------------------------------------------- console summary

def headline(summary: dict[str, Any], columns: dict[str, dict[str, Any]] | None = None,
             tablefmt: str = "simple") -> str:
    """Table of the main metrics: the system next to each baseline (or `columns`: name → summary,
    to put e.g. accented and unaccented runs side by side). tablefmt="github" gives Markdown."""
    from tabulate import tabulate

    cols = columns or {"hoidap": summary, **summary.get("baselines", {})}
    rows = []
    for key, label in HEADLINE:
        vals = [c.get("overall", {}).get(key) for c in cols.values()]
        if any(v is not None for v in vals):
            rows.append([label] + [fmt_metric(v, key) for v in vals])
    return tabulate(rows, headers=["metric"] + list(cols), tablefmt=tablefmt, disable_numparse=True,
                    colalign=["left"] + ["right"] * len(cols))
