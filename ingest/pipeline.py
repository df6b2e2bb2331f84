"""Ingest: read → clean → metadata → chunk → embed (dense + sparse) → write, with progress.

    >>> from ingest.pipeline import Ingestor
    >>> from rag.settings import Settings
    >>> report = Ingestor(Settings()).run(["data/sample"])  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    stored 5, unchanged 0, failed 0 — 21 chunks in 9.8s

Idempotent and resumable: an article whose content hash is already stored (and not in flight)
is skipped, a changed one replaces its old chunks, and an interrupted run simply re-runs: whole
documents are written atomically by the store, so nothing is half-visible or duplicated.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ingest.chunk import chunk_article
from ingest.clean import clean_item
from ingest.metadata import build_article
from ingest.readers import RawItem, ReadFailure, ReadNote, reader_for
from ingest.sources import is_url, iter_sources
from rag import lexical
from rag.embedders import Embedder, get_embedder
from rag.models import Article, Chunk
from rag.settings import Settings
from rag.store import Store


@dataclass
class IngestReport:
    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (source, reason): skipped, not errors
    pruned: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (source, text): worth knowing, no failure
    chunks: int = 0
    tokens: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    index_seconds: float = 0.0  # building the vector index at the end (Qdrant Edge)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def summary(self) -> str:
        lines = [f"stored {len(self.stored)}, unchanged {len(self.unchanged)}, failed {len(self.failed)}"
                 + (f", duplicate {len(self.duplicates)}" if self.duplicates else "")
                 + (f", pruned {len(self.pruned)}" if self.pruned else "")
                 + f" — {self.chunks} chunks in {self.seconds:.1f}s"]
        for src, reason in self.failed:
            lines.append(f"  FAILED {src}: {reason}")
        for src, reason in self.duplicates:
            lines.append(f"  SKIPPED {src}: {reason}")
        for src, text in self.notes:
            lines.append(f"  NOTE {src}: {text}")
        if self.interrupted:
            lines.append("  interrupted: run the same command again to resume (finished articles are kept)")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"stored": self.stored, "unchanged": self.unchanged,
                "failed": [{"source": s, "reason": r} for s, r in self.failed],
                "duplicates": [{"source": s, "reason": r} for s, r in self.duplicates], "pruned": self.pruned,
                "notes": [{"source": s, "text": x} for s, x in self.notes],
                "chunks": self.chunks, "tokens": self.tokens, "seconds": round(self.seconds, 3),
                "interrupted": self.interrupted}


class _Progress:
    """files/chunks/chunks-per-second/ETA on stderr; quiet when disabled."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            # shown in a log file too (an operator tailing a background ingest), but there one
            # line every 30 s instead of a redrawn bar
            tty = sys.stderr.isatty()
            self.bar = tqdm(total=None, unit="art", desc="ingest", file=sys.stderr, dynamic_ncols=True,
                            mininterval=0.5 if tty else 30, ascii=not tty)

    def set_total(self, n: int | None) -> None:
        if self.bar is not None and n:
            self.bar.total = n
            self.bar.refresh()

    def advance(self, n: int, chunks: int, t0: float) -> None:
        if self.bar is not None:
            rate = chunks / max(time.perf_counter() - t0, 1e-9)
            self.bar.set_postfix(chunks=chunks, chunks_s=f"{rate:.1f}", refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _absolute_source(src: str) -> str:
    if is_url(src):
        return src
    path, sep, rest = src.partition("#")
    return str(Path(path).resolve()) + sep + rest


def count_items(paths: Iterable[str | Path]) -> int:
    """Cheap pre-count for the progress bar: files, and lines of JSONL files."""
    import gzip

    n = 0
    for p in (Path(x) for x in paths if not is_url(x)):
        files = [p] if p.is_file() else (f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
        for f in files:
            name = f.name.lower()
            if name.endswith((".jsonl", ".jsonl.gz")):
                try:
                    opener = gzip.open if name.endswith(".gz") else open
                    with opener(f, "rb") as fh:
                        n += sum(1 for line in fh if line.strip())
                except OSError:
                    n += 1
            elif reader_for(f) is not None:
                n += 1
    return n


class Ingestor:
    def __init__(self, settings: Settings, store: Store | None = None, embedder: Embedder | None = None,
                 batch_chunks: int | None = None):
        self.settings = settings
        self.embedder = embedder or get_embedder(settings, purpose="ingest")
        self.store = store or Store(settings)
        self.batch_chunks = batch_chunks or settings.ingest_batch_chunks
        self._sparse_pool = ThreadPoolExecutor(1, thread_name_prefix="hoidap-sparse")
        self.store.ensure(self.embedder.id, self.embedder.dim)

    def prepare(self, item: RawItem) -> tuple[Article, list[Chunk]]:
        article = build_article(clean_item(item))
        article.source = _absolute_source(article.source)
        if not article.text.strip():
            raise ValueError("no article text left after cleaning")
        chunks = chunk_article(article, self.embedder.count_tokens, self.settings.chunk_tokens,
                               self.settings.chunk_overlap)
        return article, chunks

    def _flush(self, batch: list[tuple[Article, list[Chunk]]], report: IngestReport) -> None:
        if not batch:
            return
        texts = [c.header + "\n" + c.text for _, chunks in batch for c in chunks]
        # Sparse vectors (pyvi word segmentation, pure Python) are computed in a thread while the
        # embedder runs: the torch engine releases the GIL, so they fill the gaps of its
        # per-core batches instead of leaving a core idle afterwards (~6% of ingest wall time).
        sparse_job = self._sparse_pool.submit(lambda: [lexical.doc_vectors(tx) for tx in texts])
        t = time.perf_counter()
        dense = self.embedder.embed_passages(texts)
        report.embed_seconds += time.perf_counter() - t
        sparse = sparse_job.result()
        docs, k = [], 0
        for article, chunks in batch:
            n = len(chunks)
            docs.append((article, chunks, dense[k:k + n], sparse[k:k + n]))
            k += n
        self.store.write_documents(docs)
        for article, chunks in batch:
            report.stored.append(article.doc_id)
            report.chunks += len(chunks)
            report.tokens += sum(c.n_tokens for c in chunks)
        batch.clear()

    def run(self, paths: list[str | Path], prune: bool = False, progress: bool = True,
            on_item: Callable[[str, str, str], None] | None = None, since: str | None = None,
            fetcher=None) -> IngestReport:
        """Ingest files, folders and URLs (pages, feeds, sitemaps; `since`: ISO date for feed and
        sitemap entries; `fetcher`: a web.fetch.Fetcher to share). `on_item(source, status, detail)`
        reports each article (for the UI)."""
        report = IngestReport()
        t0 = time.perf_counter()
        bar = _Progress(progress)
        seen: dict[str, str] = {}
        batch: list[tuple[Article, list[Chunk]]] = []
        notify = on_item or (lambda *a: None)

        def skip(source: str, bucket: list, status: str, detail: str, entry=None) -> None:
            """An article not written: recorded in its report bucket, told to the UI, counted."""
            bucket.append(entry if entry is not None else (source, detail))
            notify(source, status, detail)
            bar.advance(1, report.chunks, t0)

        def flush() -> None:
            names = [(a.source, a.doc_id) for a, _ in batch]
            self._flush(batch, report)  # empties the batch
            for src, did in names:
                notify(src, "stored", did)
            bar.advance(len(names), report.chunks, t0)

        try:
            bar.set_total(count_items(paths) if progress else None)
            self.store.repair()
            pending = self.store.pending()
            # the same article saved under two file names is stored once (JSONL records are
            # deliberate data with their own ids: kept as given)
            text_owner = {d["text_hash"]: d["doc_id"] for d in self.store.list_documents() if d.get("text_hash")}
            for item in iter_sources(list(paths), self.settings, since=since, fetcher=fetcher):
                if isinstance(item, ReadNote):
                    report.notes.append((item.source, item.text))
                    notify(item.source, "note", item.text)
                    continue
                if isinstance(item, ReadFailure):
                    skip(item.source, report.failed, "failed", item.reason)
                    continue
                if item.doc_id in seen:
                    skip(item.source, report.failed, "failed",
                         f"duplicate document id {item.doc_id!r} (already read from {seen[item.doc_id]})")
                    continue
                seen[item.doc_id] = item.source
                try:
                    article, chunks = self.prepare(item)
                except Exception as e:  # one bad article never stops the batch
                    skip(item.source, report.failed, "failed", str(e),
                         entry=(item.source, f"{type(e).__name__}: {e}"))
                    continue
                if item.kind != "jsonl":
                    other = text_owner.get(article.text_hash)
                    if other is not None and other != article.doc_id:
                        skip(item.source, report.duplicates, "duplicate", f"duplicate: same text as {other}")
                        continue
                text_owner.setdefault(article.text_hash, article.doc_id)
                old = self.store.get_document(article.doc_id)
                if old and old.get("content_hash") == article.content_hash and article.doc_id not in pending:
                    skip(item.source, report.unchanged, "unchanged", article.doc_id, entry=article.doc_id)
                    continue
                batch.append((article, chunks))
                if sum(len(c) for _, c in batch) >= self.batch_chunks:
                    flush()
            flush()
            if prune:
                report.pruned = self.prune([p for p in paths if not is_url(p)], keep=set(seen))
            if report.stored or report.pruned:
                report.index_seconds = self.store.optimize().get("seconds", 0.0)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            bar.close()
            report.seconds = time.perf_counter() - t0
        return report

    def prune(self, paths: list[str | Path], keep: set[str]) -> list[str]:
        """Delete documents read from under `paths` whose file is gone."""
        roots = [str(Path(p).resolve()) for p in paths]
        gone = []
        for d in self.store.list_documents():
            src = str(d.get("source") or "").partition("#")[0]
            if d["doc_id"] in keep or not any(src == r or src.startswith(r.rstrip("/") + "/") for r in roots):
                continue
            if not Path(src).exists():
                gone.append(d["doc_id"])
        self.store.delete_documents(gone)
        return gone
