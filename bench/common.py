"""What the benchmarks share: paths, percentiles, memory and disk readings, Markdown tables,
report writing, and a client for the web app's Gradio events (tests/test_web_api.py uses it too).

Kept light: importing it loads neither hoidap nor numpy, so a benchmark's import time is its own.

    >>> pct([5, 1, 4, 2, 3], 50)
    3
    >>> print(md_table([["a|b", 1.5]], ["name", "ms"]))
    | name   | ms   |
    |--------|------|
    | a\\|b   | 1.5  |
"""
from __future__ import annotations

import json
import math
import os
import platform
import resource
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
# the corpora and eval sets (never committed): the nearest shared/ folder above the checkout, so a
# git worktree nested deeper than the main checkout finds the same one
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared").is_dir()), ROOT.parent / "shared")
CACHE = ROOT / ".hoidap" / "bench"  # cached vectors and kept stores, never committed


# ---------------------------------------------------------------------------- statistics

def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


# ------------------------------------------------------------------------ memory and disk

def rss_mb() -> float:
    """Peak RSS of this process (MB). With Qdrant Edge it includes the pages of its memory-mapped
    segment files, which the kernel can drop under pressure; anon_mb() is the process's own memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_anon_peak = 0.0


def _sample_anon() -> None:
    global _anon_peak
    while True:
        try:
            with open("/proc/self/status") as fh:
                kb = next((int(line.split()[1]) for line in fh if line.startswith("RssAnon:")), 0)
        except OSError:  # not Linux: no figure
            return
        _anon_peak = max(_anon_peak, kb / 1024)
        time.sleep(0.2)


def start_anon_sampler() -> None:
    """Sample the anonymous part of RSS every 0.2 s (the kernel keeps no peak of it)."""
    threading.Thread(target=_sample_anon, daemon=True).start()


def anon_mb() -> float | None:
    """Peak anonymous RSS (MB) seen by the sampler; None when it has not run."""
    return _anon_peak or None


def du_mb(path: Path) -> float:
    """Disk use of a folder in MB: allocated blocks, not apparent sizes (Edge preallocates sparse
    WAL and mmap files)."""
    return sum(f.stat().st_blocks * 512 for f in Path(path).rglob("*") if f.is_file()) / 1e6


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


# ------------------------------------------------------------------------------- reports

def md_cell(x: object, width: int | None = None) -> str:
    """A value made safe for one Markdown table cell: pipes escaped, line breaks and other
    unprintable characters shown as escapes (hostile inputs in the reliability report)."""
    s = "" if x is None else str(x)
    s = s.replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    s = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)
    return s[:width] if width else s


def md_table(rows: Iterable[Sequence[object]], headers: Sequence[str], width: int | None = None) -> str:
    """A GitHub Markdown table. Cells are written as given (format numbers before), never re-parsed;
    `width` cuts long cells."""
    from tabulate import tabulate

    body = [[md_cell(c, width) for c in r] for r in rows]
    return tabulate(body, headers=[md_cell(h) for h in headers], tablefmt="github", disable_numparse=True)


def write_report(out: Path | str, lines: Sequence[str], data: object = None, echo: bool = True) -> Path:
    """Write a report's Markdown (and its figures as JSON beside it, `out` with .json) and print it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines).rstrip("\n") + "\n"
    out.write_text(text, encoding="utf-8")
    if data is not None:
        out.with_suffix(".json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    if echo:
        print(text, end="")
    return out


# ------------------------------------------------------------------------- the web app

def gradio_call(client, api_name: str, data: list) -> list:
    """Run a Gradio event through its HTTP API (POST /gradio_api/call/<api_name>, then read the SSE
    stream to the event's end) and return its outputs; RuntimeError unless it completed.
    `client` is an httpx.Client whose base_url is the app."""
    r = client.post(f"/gradio_api/call/{api_name}", json={"data": data})
    if r.status_code != 200:
        raise RuntimeError(f"gradio call {api_name}: {r.status_code}: {r.text[:120]}")
    event_id = r.json()["event_id"]
    event, payload = None, None
    with client.stream("GET", f"/gradio_api/call/{api_name}/{event_id}") as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line[5:].strip()
                break
    if event != "complete":
        raise RuntimeError(f"gradio event {api_name} ended with {event}: {str(payload)[:300]}")
    return json.loads(payload)
