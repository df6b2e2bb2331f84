"""Evaluation reports: DIR/results.jsonl, DIR/summary.json, DIR/report.md, DIR/report.html, DIR/plots/.

report.md references plots/*.png; report.html embeds the same PNGs as base64 so it can be
mailed around alone. Every piece of text in the HTML is escaped (questions and answers are
user/model text and may contain markup).
"""
from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: reports are written by CI and CLIs
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eval.metrics import verdict  # noqa: E402

# (key in summary["overall"], label, higher is better)
METRICS: list[tuple[str, str, bool]] = [
    ("pass", "Pass rate (verdict)", True),
    ("must_contain_pass", "Must-contain pass", True),
    ("answer_recall", "Answer recall", True),
    ("token_f1", "Token F1", True),
    ("exact_match", "Exact match", True),
    ("short_given", "Short answer given", True),
    ("short_em", "Short answer EM", True),
    ("short_f1", "Short answer F1", True),
    ("hit@1", "Hit@1", True),
    ("hit@5", "Hit@5", True),
    ("recall@10", "Recall@10", True),
    ("mrr@10", "MRR@10", True),
    ("ndcg@10", "nDCG@10", True),
    ("citation_precision", "Citation precision", True),
    ("citation_recall", "Citation recall", True),
    ("quote_verbatim", "Quote verbatim share", True),
    ("refusal_correct", "Refusal accuracy", True),
    ("refusal_precision", "Refusal precision", True),
    ("refusal_recall", "Refusal recall", True),
    ("answerable_refused", "Answerable refused", False),
    ("language_match", "Language match", True),
    ("latency_p50_ms", "Latency p50 (ms)", False),
    ("latency_p95_ms", "Latency p95 (ms)", False),
]
TYPE_METRICS = ["pass", "must_contain_pass", "answer_recall", "hit@5", "mrr@10", "refusal_correct", "latency_p50_ms"]
LABELS = {k: label for k, label, _ in METRICS}
N_WORST = 10
ANSWER_CHARS = 400


# ---------------------------------------------------------------- result dirs

def write_results(out_dir: str | Path, summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    answers = [r["answer_json"] for r in results if r.get("answer_json")]
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps({k: v for k, v in r.items() if k != "answer_json"}, ensure_ascii=False) + "\n")
    if answers:  # each answer object exactly as `hoidap ask --json` and /api/ask give it
        (out / "answers.jsonl").write_text("".join(a + "\n" for a in answers), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


def load_results(run_dir: str | Path) -> list[dict[str, Any]]:
    with (Path(run_dir) / "results.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- formatting

def fmt_metric(v: Any, key: str = "") -> str:
    """A metric as shown in every table: latencies in whole ms, the rest with 3 decimals."""
    if v is None:
        return "–"
    if key.startswith("latency"):
        return f"{v:.0f}"
    return f"{v:.3f}"


def _delta(a: Any, b: Any, key: str) -> str:
    if a is None or b is None:
        return "–"
    d = a - b
    return f"{d:+.0f}" if key.startswith("latency") else f"{d:+.3f}"


def _md(text: Any) -> str:
    """Markdown cell/inline text: no raw HTML, no table breaks."""
    s = html.escape(str(text), quote=False).replace("|", "\\|")
    return " ".join(s.split())


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _truncate(text: str, n: int = ANSWER_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------- tables (as rows of strings)

def _metrics_table(summary: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["Metric", "system"]
    for name in baselines:
        header += [name, f"Δ vs {name}"]
    sys_o = summary.get("overall", {})
    rows = []
    for key, label, _ in METRICS:
        vals = [sys_o.get(key)] + [b.get("overall", {}).get(key) for b in baselines.values()]
        if all(v is None for v in vals):
            continue
        row = [label, fmt_metric(sys_o.get(key), key)]
        for b in baselines.values():
            bv = b.get("overall", {}).get(key)
            row += [fmt_metric(bv, key), _delta(sys_o.get(key), bv, key)]
        rows.append(row)
    return header, rows


def _type_table(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    by_type = summary.get("by_type", {})
    keys = [k for k in TYPE_METRICS if any(t.get(k) is not None for t in by_type.values())]
    header = ["Type", "n"] + [LABELS.get(k, k) for k in keys]
    rows = [[t, str(v.get("n", ""))] + [fmt_metric(v.get(k), k) for k in keys] for t, v in sorted(by_type.items())]
    return header, rows


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ---------------------------------------------------------------- plots

def _bar_chart(summary: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]], path: Path) -> bool:
    # only share-like metrics (0..1) go on one axis; latency has its own plot
    systems = {"system": summary, **baselines}
    keys = [k for k, _, _ in METRICS if not k.startswith("latency")
            and any(s.get("overall", {}).get(k) is not None for s in systems.values())]
    if not keys:
        return False
    y = np.arange(len(keys))
    height = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(keys) * max(1, len(systems) / 2) + 1.2))
    for i, (name, s) in enumerate(systems.items()):
        vals = [s.get("overall", {}).get(k) for k in keys]
        ax.barh(y + i * height, [np.nan if v is None else v for v in vals], height, label=name)
    ax.set_yticks(y + height * (len(systems) - 1) / 2, [LABELS[k] for k in keys])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: bars reach x=1
    ax.set_title("System vs baselines")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def _latency_hist(results: Sequence[Mapping[str, Any]], path: Path) -> bool:
    lat = [r["latency_ms"] for r in results if isinstance(r.get("latency_ms"), (int, float))]
    if not lat:
        return False
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)))
    for p, style in ((50, "--"), (95, ":")):
        v = float(np.percentile(lat, p))
        ax.axvline(v, color="k", linestyle=style, label=f"p{p} = {v:.0f} ms")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("cases")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- worst cases

def _badness(r: Mapping[str, Any]) -> float:
    # lower = worse: average of whatever answer/retrieval signals the case has
    vals = [r.get(k) for k in ("must_contain_pass", "answer_recall", "token_f1", "hit@5", "mrr@10")]
    vals = [v for v in vals if v is not None]
    return float(np.mean(vals)) if vals else 0.0


def worst_failures(results: Sequence[Mapping[str, Any]], n: int = N_WORST) -> list[Mapping[str, Any]]:
    """Failing cases (verdict False), worst first."""
    failing = [r for r in results if verdict(r) is False]
    return sorted(failing, key=lambda r: (_badness(r), str(r.get("id"))))[:n]


def _failed_on(r: Mapping[str, Any]) -> str:
    # mirrors the order of the rules in eval.metrics.verdict
    if r.get("must_contain_pass") is not None:
        return "must_contain"
    if r.get("unanswerable"):
        return "unanswerable but not refused"
    if r.get("answer_recall") is not None:
        return "answer_recall < 0.5"
    return "no gold source in the top 5"


def _case_fields(r: Mapping[str, Any]) -> list[tuple[str, str]]:
    answer = "(refused) " if r.get("refused") else ""
    return [
        ("type", str(r.get("type") or "untyped")),
        ("failed on", _failed_on(r)),
        ("answer", answer + _truncate(r.get("answer") or "")),
        ("gold sources", ", ".join(r.get("gold_sources") or []) or "–"),
        ("retrieved top 5", ", ".join((r.get("retrieved") or [])[:5]) or "–"),
        ("answer recall / hit@5", f"{fmt_metric(r.get('answer_recall'))} / {fmt_metric(r.get('hit@5'))}"),
    ]


# ---------------------------------------------------------------- writers

def write_report(out_dir: str | Path, summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]],
                 baselines: Mapping[str, Mapping[str, Any]] | None, suite_name: str) -> Path:
    """Write results.jsonl, summary.json, report.md, report.html and plots/ into out_dir.
    `baselines` maps a name to another run's summary (same format as `summary`)."""
    out = Path(out_dir)
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    write_results(out, summary, results)
    baselines = dict(baselines or {})

    images = []  # (title, relative path)
    if _bar_chart(summary, baselines, plots / "metrics.png"):
        images.append(("Metrics vs baselines", "plots/metrics.png"))
    if _latency_hist(results, plots / "latency.png"):
        images.append(("Latency", "plots/latency.png"))

    m_head, m_rows = _metrics_table(summary, baselines)
    t_head, t_rows = _type_table(summary)
    worst = worst_failures(results)
    n_fail = sum(1 for r in results if verdict(r) is False)
    title = f"Evaluation report: {suite_name}"
    intro = f"{summary.get('n', len(results))} cases; {n_fail} failing. Baselines: {', '.join(baselines) or 'none'}."

    md = [f"# {_md(title)}", "", _md(intro), "", "## Metrics", "", _md_table(m_head, m_rows), "",
          "## Per type", "", _md_table(t_head, t_rows), "", "## Charts", ""]
    md += [f"![{t}]({p})" for t, p in images] or ["(no data to plot)"]
    md += ["", f"## Worst failing cases ({len(worst)} of {n_fail})", ""]
    for r in worst:
        md.append(f"### {_md(r.get('id'))}: {_md(r.get('question'))}")
        md += [f"- **{k}**: {_md(v)}" for k, v in _case_fields(r)]
        md.append("")
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")

    doc = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{_h(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}dt{font-weight:bold}img{max-width:100%}</style>",
        "</head><body>", f"<h1>{_h(title)}</h1>", f"<p>{_h(intro)}</p>",
        "<h2>Metrics</h2>", _html_table(m_head, m_rows), "<h2>Per type</h2>", _html_table(t_head, t_rows),
        "<h2>Charts</h2>",
    ]
    for t, p in images:
        data = base64.b64encode((out / p).read_bytes()).decode("ascii")
        doc.append(f'<figure><img alt="{_h(t)}" src="data:image/png;base64,{data}"><figcaption>{_h(t)}</figcaption></figure>')
    doc.append(f"<h2>Worst failing cases ({len(worst)} of {n_fail})</h2>")
    for r in worst:
        doc.append(f"<h3>{_h(r.get('id'))}: {_h(r.get('question'))}</h3><dl>")
        doc += [f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _case_fields(r)]
        doc.append("</dl>")
    doc.append("</body></html>")
    (out / "report.html").write_text("\n".join(doc) + "\n", encoding="utf-8")
    return out


def compare_runs(dir_a: str | Path, dir_b: str | Path) -> str:
    """Markdown list of cases whose verdict changed between two result dirs (matched by id).
    Verdict (eval.metrics.verdict): must-contain pass if the case has must_contain, else refusal
    for unanswerable cases, else answer_recall >= 0.5, else hit@5."""
    a = {r["id"]: r for r in load_results(dir_a)}
    b = {r["id"]: r for r in load_results(dir_b)}
    common = [i for i in a if i in b]
    changes: dict[str, list[str]] = {"pass → fail": [], "fail → pass": []}
    for i in common:
        va, vb = verdict(a[i]), verdict(b[i])
        if va is None or vb is None or va == vb:
            continue
        key = "pass → fail" if va else "fail → pass"
        r = b[i]
        changes[key].append(f"- `{_md(i)}` ({_md(r.get('type') or 'untyped')}): {_md(r.get('question', ''))}")

    def rate(rows: Mapping[str, Mapping[str, Any]]) -> str:
        vs = [verdict(r) for r in rows.values()]
        vs = [v for v in vs if v is not None]
        return f"{sum(vs)}/{len(vs)} pass" if vs else "no verdicts"

    lines = [f"# Verdict changes: `{_md(Path(dir_a).name)}` → `{_md(Path(dir_b).name)}`", "",
             f"- A: {len(a)} cases, {rate(a)}", f"- B: {len(b)} cases, {rate(b)}",
             f"- compared: {len(common)} cases present in both"]
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a:
        lines.append(f"- only in A: {', '.join(_md(i) for i in only_a)}")
    if only_b:
        lines.append(f"- only in B: {', '.join(_md(i) for i in only_b)}")
    for title, items in changes.items():
        lines += ["", f"## {title} ({len(items)})", ""]
        lines += items or ["(none)"]
    return "\n".join(lines) + "\n"
