"""Main-text extraction measured on the news page fixtures: sentence precision and recall of
what ingestion stores (Article.text) against each page's known body.

    .venv/bin/python -m bench.main_text [--out reports/main_text.md]

Pages: tests/fixtures/news_pages/*.html (35 pages laid out like 7 Vietnamese news sites; written,
not crawled: see make_pages.py there) and their .gold.txt bodies. A sentence counts when its
normalised form (rag.vntext.normalize, lower case, spaces collapsed) equals a gold sentence.
Precision = stored sentences that are body sentences / stored sentences; recall = body
sentences stored / body sentences. Every extractor's text then goes through the same pipeline
steps (clean → metadata), except the "no Vietnamese rules" row, which skips clean.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

from bench.common import REPORTS, ROOT, md_table, write_report
from ingest.clean import clean_item
from ingest.metadata import build_article
from ingest.readers import RawItem, html_to_text
from rag import vntext

PAGES = ROOT / "tests" / "fixtures" / "news_pages"


def _key(s: str) -> str:
    return " ".join(vntext.normalize(s).lower().split()).strip(" \"“”'")


def sentences(text: str) -> list[str]:
    return [k for k in (_key(s) for s in vntext.sentences(text)) if k]


def _article_text(text: str, fields: dict, url: str, clean: bool = True) -> str:
    item = RawItem(doc_id="p", source=url, kind="html", text=text, fields=dict(fields, url=url))
    return build_article(clean_item(item) if clean else item).text


def picker(html: str, url: str) -> str:
    text, fields = html_to_text(html)
    return _article_text(text, fields, url)


def _trafilatura(html: str, url: str, **kw) -> str | None:
    import trafilatura

    out = trafilatura.extract(html, url=url, include_comments=False, include_tables=True, include_images=False,
                              **kw)
    return "\n\n".join(p for p in (out or "").split("\n") if p.strip())


def trafilatura_rules(html: str, url: str) -> str:
    _, fields = html_to_text(html)
    return _article_text(_trafilatura(html, url), fields, url)


def trafilatura_bare(html: str, url: str) -> str:
    _, fields = html_to_text(html)
    return _article_text(_trafilatura(html, url), fields, url, clean=False)


def trafilatura_precision(html: str, url: str) -> str:
    _, fields = html_to_text(html)
    return _article_text(_trafilatura(html, url, favor_precision=True), fields, url)


def readability(html: str, url: str) -> str:
    from readability import Document

    _, fields = html_to_text(html)
    text, _ = html_to_text(Document(html).summary())
    return _article_text(text, fields, url)


def hoidap(html: str, url: str) -> str:
    from ingest.readers.html import main_text

    text, fields = main_text(html, url)
    return _article_text(text, fields, url)


def hoidap_bare(html: str, url: str) -> str:
    from ingest.readers.html import main_text

    text, fields = main_text(html, url)
    return _article_text(text, fields, url, clean=False)


EXTRACTORS = {
    "hand-written picker (before)": picker,
    "trafilatura + Vietnamese rules": trafilatura_rules,
    "trafilatura without Vietnamese rules": trafilatura_bare,
    "trafilatura favor_precision + rules": trafilatura_precision,
    "readability-lxml + rules": readability,
    "hoidap now (ingest.readers.html.main_text)": hoidap,
    "hoidap now without Vietnamese rules": hoidap_bare,
}


def score(got: list[str], gold: list[str]) -> tuple[int, int, int]:
    """(stored sentences that are body sentences, stored sentences, body sentences stored)."""
    g = set(gold)
    return sum(s in g for s in got), len(got), len(g & set(got))


def run() -> tuple[dict, dict, int]:
    pages = sorted(PAGES.glob("*.html"))
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])  # tp, n_got, found, n_gold, seconds
    per_site: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for page in pages:
        html = page.read_text(encoding="utf-8")
        url = page.with_suffix(".url").read_text().strip()
        gold = sentences(page.with_name(page.stem + ".gold.txt").read_text(encoding="utf-8"))
        site = page.stem.rsplit("_", 1)[0]
        for name, fn in EXTRACTORS.items():
            t = time.perf_counter()
            try:
                got = sentences(fn(html, url))
            except Exception as e:  # an extractor that fails on a page scores nothing there
                print(f"{name} failed on {page.name}: {e}", file=sys.stderr)
                got = []
            dt = time.perf_counter() - t
            tp, n, found = score(got, gold)
            for acc in (totals[name], per_site[(name, site)]):
                acc[0] += tp
                acc[1] += n
                acc[2] += found
                acc[3] += len(set(gold))
            totals[name][4] += dt
    return totals, per_site, len(pages)


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def report(totals: dict, per_site: dict, n_pages: int) -> list[str]:
    sites = sorted({s for _, s in per_site})
    rows = [[name, _pct(t[0], t[1]), _pct(t[2], t[3]), f"{1000 * t[4] / n_pages:.0f}"] for name, t in totals.items()]
    site_rows = [[name] + [f"{_pct(*per_site[(name, s)][:2])} / {_pct(*per_site[(name, s)][2:])}" for s in sites]
                 for name in totals]
    return [f"# Main-text extraction on {n_pages} news pages of {len(sites)} sites", "",
            "Written fixture pages (tests/fixtures/news_pages: layouts modelled on the sites, words invented; not "
            "crawled). Sentence precision / recall of the stored article text against each page's known body; "
            "ms per page on a busy 2-core machine (noisy). `python -m bench.main_text`.", "",
            md_table(rows, ["extractor", "precision", "recall", "ms/page"]), "",
            "Per site (precision / recall):", "", md_table(site_rows, ["extractor"] + sites)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPORTS / "main_text.md"))
    ap.add_argument("--only", help="comma-separated extractor names to run (default: all)")
    args = ap.parse_args()
    if args.only:
        keep = set(args.only.split(","))
        for k in list(EXTRACTORS):
            if k not in keep:
                del EXTRACTORS[k]
    write_report(args.out, report(*run()))


if __name__ == "__main__":
    main()
