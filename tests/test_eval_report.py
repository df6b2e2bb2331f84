import json

from eval.metrics import summarize
from eval.report import compare_runs, write_report


def _row(i, type_, answer, must_pass, hit5, latency, question=None, refused=False, unanswerable=False):
    return {
        "id": f"c{i}", "question": question or f"Câu hỏi {i}?", "answer": answer, "refused": refused,
        "unanswerable": unanswerable, "retrieved": ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"],
        "citations": ["a.txt"], "quotes": [], "latency_ms": latency, "language": "vi", "type": type_,
        "gold_sources": [] if unanswerable else ["b.txt"], "must_contain_pass": must_pass,
        "hit@5": hit5, "mrr@10": None if hit5 is None else 0.5, "language_match": 1.0,
        "refusal_correct": float(refused == unanswerable),
    }


def _results(flip=False):
    rows = [
        _row(1, "fact", "Sơn La", 1.0, 1.0, 120),
        _row(2, "fact", "<b>sai</b>", 0.0, 0.0, 340, question="<script>alert('x')</script> là gì?"),
        _row(3, "number", "12 biên chế", 0.0 if flip else 1.0, 1.0, 200),
        _row(4, "unanswerable", "Không tìm thấy.", None, None, 80, refused=True, unanswerable=True),
    ]
    for r in rows:
        r["pass"] = None if r["must_contain_pass"] is None else r["must_contain_pass"]
    return rows


def test_write_report(tmp_path):
    results = _results()
    summary = summarize(results)
    baseline = summarize(_results(flip=True))
    out = write_report(tmp_path / "run", summary, results, {"bm25": baseline}, "news_vi")
    md = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")

    assert "| Metric | system | bm25 | Δ vs bm25 |" in md
    assert "| Must-contain pass | 0.667 | 0.333 | +0.333 |" in md
    assert "| Type | n |" in md and "| number | 1 |" in md
    assert "(plots/metrics.png)" in md and (out / "plots" / "latency.png").exists()
    assert "<script>" not in md

    assert "<table>" in page and '<img alt="Metrics vs baselines" src="data:image/png;base64,' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;sai&lt;/b&gt;" in page  # the failing case's answer, escaped
    assert "c2" in page and "b.txt" in page  # worst case shows gold and retrieved ids

    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["overall"]["must_contain_pass"] == summary["overall"]["must_contain_pass"]
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def test_compare_runs(tmp_path):
    a = write_report(tmp_path / "a", summarize(_results()), _results(), None, "s")
    b_rows = _results(flip=True)
    b_rows[1]["must_contain_pass"] = 1.0  # c2: fail → pass
    b = write_report(tmp_path / "b", summarize(b_rows), b_rows, None, "s")
    md = compare_runs(a, b)
    pf = md.split("## pass → fail")[1].split("## fail → pass")[0]
    fp = md.split("## fail → pass")[1]
    assert "`c3`" in pf and "`c1`" not in pf
    assert "`c2`" in fp and "&lt;script&gt;" in fp
    assert "c4" not in md  # refused unanswerable in both runs: unchanged
