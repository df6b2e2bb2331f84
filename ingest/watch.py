"""Keep sources up to date: folders and files are re-read (new and changed articles stored,
articles whose file was deleted removed), feeds and sitemaps re-fetched (only entries not seen
before, or re-dated, are fetched and stored), single pages re-fetched. One log line per run;
each source's last check and result are kept in ``<data_dir>/watch.json`` (the sources tab
shows them).

    hoidap watch ~/van-ban https://baodaklak.vn/rss/thoi-su.rss --every 15m
    HOIDAP_WATCH_SOURCES=~/van-ban HOIDAP_WATCH_EVERY=15m hoidap serve

    >>> from ingest.watch import parse_every
    >>> parse_every("15m"), parse_every("2h"), parse_every("90")
    (900.0, 7200.0, 90.0)
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import Ingestor
from ingest.sources import is_url
from rag.settings import Settings

__all__ = ["Watcher", "parse_every", "load_state"]

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)


def parse_every(text: str) -> float:
    """"30s", "15m", "2h", "1d" or plain seconds -> seconds (at least 1)."""
    m = _EVERY.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 15m, 2h)")
    n = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[(m.group(2) or "s").lower()]
    if n < 1:
        raise ValueError(f"duration too short: {text!r}")
    return n


def _state_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "watch.json"


def load_state(settings: Settings) -> dict:
    """{source: {"last_check", "result", "ok", "seen"?}} as the last watch run left it."""
    try:
        return json.loads(_state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class SourceResult:
    source: str
    ok: bool
    result: str


class Watcher:
    def __init__(self, settings: Settings, sources: list[str], store=None, embedder=None,
                 lock: threading.Lock | None = None):
        self.settings = settings
        self.sources = [s if is_url(s) else str(Path(s).expanduser().resolve()) for s in sources]
        self.ingestor = Ingestor(settings, store=store, embedder=embedder)
        self.state = load_state(settings)
        self._stop = threading.Event()
        self._lock = lock or threading.Lock()  # the web app passes its ingest lock: no upload meanwhile

    # ------------------------------------------------------------------ one run
    def run_once(self) -> str:
        """Check every source once; return (and keep) the run's one log line."""
        results = []
        for src in self.sources:
            try:
                with self._lock:
                    res = self._check_url(src) if is_url(src) else self._check_path(src)
            except Exception as e:  # one source's trouble never stops the others
                res = SourceResult(src, False, f"error: {type(e).__name__}: {e}")
            entry = self.state.setdefault(src, {})
            entry.update(last_check=time.strftime("%Y-%m-%dT%H:%M:%S"), result=res.result, ok=res.ok)
            results.append(res)
        self._save()
        return f"watch {time.strftime('%Y-%m-%d %H:%M:%S')}: " + "; ".join(f"{r.source}: {r.result}" for r in results)

    def _summary(self, report, removed_word: str = "removed") -> tuple[bool, str]:
        parts = [f"{len(report.stored)} new or changed", f"{len(report.unchanged)} unchanged"]
        if report.pruned:
            parts.append(f"{len(report.pruned)} {removed_word}")
        if report.failed:
            parts.append(f"{len(report.failed)} failed (" + "; ".join(f"{s}: {r}" for s, r in report.failed[:3]) + ")")
        return not report.failed, ", ".join(parts)

    def _check_path(self, src: str) -> SourceResult:
        if not Path(src).exists():
            return SourceResult(src, False, "no such file or folder")
        report = self.ingestor.run([src], prune=True, progress=False)
        ok, text = self._summary(report)
        return SourceResult(src, ok, text)

    def _check_url(self, src: str) -> SourceResult:
        from ingest.web import fetch_listing
        from ingest.web.fetch import Fetcher

        with Fetcher(self.settings) as fetcher:
            listing = fetch_listing(src, fetcher)
            if isinstance(listing, str):  # a page (or an error): fetched again as it is
                if listing != "page":
                    return SourceResult(src, False, listing)
                report = self.ingestor.run([src], progress=False, fetcher=fetcher)
                ok, text = self._summary(report)
                return SourceResult(src, ok, text)
            seen = self.state.setdefault(src, {}).setdefault("seen", {})
            fresh = [e for e in listing[: self.settings.fetch_max_items] if seen.get(e.url, "") != (e.date or "")]
            report = self.ingestor.run([e.url for e in fresh], progress=False, fetcher=fetcher) if fresh else None
        failed = {s for s, _ in report.failed} if report else set()
        for e in fresh:
            if e.url not in failed:  # a failed entry is tried again next run
                seen[e.url] = e.date or ""
        if report is None:
            return SourceResult(src, True, f"no new entries ({len(listing)} listed)")
        ok, text = self._summary(report)
        return SourceResult(src, ok, f"{len(fresh)} new entries of {len(listing)}: {text}")

    def _save(self) -> None:
        path = _state_path(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file

    # ------------------------------------------------------------------ the loop
    def loop(self, every_s: float, log=print, runs: int | None = None) -> None:
        """run_once every `every_s` seconds until stop() (or `runs` runs)."""
        n = 0
        while not self._stop.is_set():
            log(self.run_once())
            n += 1
            if runs is not None and n >= runs:
                break
            self._stop.wait(every_s)

    def stop(self) -> None:
        self._stop.set()

    def start(self, every_s: float, log=print) -> threading.Thread:
        """The loop in a daemon thread (for `hoidap serve`)."""
        t = threading.Thread(target=self.loop, args=(every_s, log), name="hoidap-watch", daemon=True)
        t.start()
        return t
