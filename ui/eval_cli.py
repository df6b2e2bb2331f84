"""`hoidap eval`, `hoidap eval-viquad` and `hoidap eval-compare`: thin commands over eval/."""
from __future__ import annotations

from pathlib import Path

import click

from ui.cli_base import fail, settings_of


def _store_errors():
    from eval.runner import EvalError
    from rag.embedders import EmbedderError
    from rag.store import StoreError

    return (EvalError, StoreError, EmbedderError)


@click.command(name="eval")
@click.argument("suite", type=click.Path(path_type=Path))
@click.option("--corpus", required=True, type=click.Path(path_type=Path),
              help="Folder or JSONL file of articles the suite's gold_sources refer to.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output folder: results.jsonl, summary.json, report.md, report.html, plots/.")
@click.option("--baselines", is_flag=True, help="Also run BM25, dense-only and LlamaIndex-default retrieval.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N cases.")
@click.option("--compare-to", "compare_to", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="An earlier output folder: print the cases whose verdict changed since.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_cmd(ctx: click.Context, suite: Path, corpus: Path, out_dir: Path, baselines: bool, limit: int | None,
             compare_to: Path | None, quiet: bool) -> None:
    """Evaluate retrieval, answers, citations and refusals on a suite (JSONL).

    \b
    The corpus is ingested into its own collection (eval_<name>_<hash>) in the data dir;
    unchanged articles are not embedded again on the next run. Bad suite lines are
    reported with their line number and skipped. Per case the answer is scored
    (must-contain, EM, token F1, answer recall, citations, verbatim quotes, refusal,
    language) and the ranked documents too (hit@k, recall@k, MRR@10, nDCG@10).

    \b
    Examples:
      hoidap eval eval/suites/news_vi.jsonl --corpus data/sample --out runs/news
      hoidap eval eval/suites/news_vi.jsonl --corpus data/sample --out runs/news2 --baselines
      hoidap eval suite.jsonl --corpus export.jsonl --out runs/new --compare-to runs/old
    """
    from eval.report import compare_runs
    from eval.runner import headline, run_suite

    for p, what in ((suite, "suite file"), (corpus, "corpus file or folder")):
        if not p.exists():
            fail(f"no such {what}: {p}", 2)
    try:
        summary = run_suite(suite, corpus, out_dir, settings_of(ctx), baselines=baselines, progress=not quiet,
                            limit=limit)
    except _store_errors() as e:
        fail(str(e), 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    meta = summary["meta"]
    click.echo(f"{summary['n']} cases ({len(meta['bad_lines'])} bad lines skipped, {meta['errors']} errors) "
               f"over {meta['corpus_info']['articles']} articles in {meta['seconds']:.0f}s\n")
    click.echo(headline(summary))
    click.echo(f"\nreports: {out_dir / 'report.md'}  {out_dir / 'report.html'}")
    if compare_to:
        click.echo("")
        click.echo(compare_runs(compare_to, out_dir))


@click.command(name="eval-viquad")
@click.option("--dir", "data_dir", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Folder with corpus.jsonl (id, title, text) and questions.jsonl.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output folder: accented/, unaccented/, summary.json, summary.md.")
@click.option("--limit", type=click.IntRange(1), help="N questions evenly spread over the file.")
@click.option("--baselines", is_flag=True, help="Also run BM25, dense-only and LlamaIndex-default retrieval.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_viquad(ctx: click.Context, data_dir: Path, out_dir: Path, limit: int | None, baselines: bool,
                quiet: bool) -> None:
    """Evaluate on a UIT-ViQuAD 2.0 style set, with and without diacritics in the questions.

    \b
    The questions are converted to the suite format, run as written and again with every
    diacritic removed (as many users type), over one collection and the same baselines.
    Writes OUT/accented/ and OUT/unaccented/ reports plus OUT/summary.json and
    OUT/summary.md with both side by side.

    \b
    Examples:
      hoidap eval-viquad --dir ../shared/eval/viquad2 --out runs/viquad
      hoidap eval-viquad --dir ../shared/eval/viquad2 --out runs/viquad-100 --limit 100 --baselines
      hoidap eval-compare runs/viquad/accented runs/viquad/unaccented
    """
    from eval.viquad import combined_headline, run_viquad

    try:
        combined = run_viquad(data_dir, out_dir, settings_of(ctx), limit=limit, baselines=baselines,
                              progress=not quiet)
    except _store_errors() as e:
        fail(str(e), 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    click.echo(f"{combined['cases']} questions over {combined['corpus_info']['articles']} paragraphs "
               f"in {combined['seconds']:.0f}s\n")
    click.echo(combined_headline(combined))
    click.echo(f"\nreports: {out_dir / 'summary.md'}  {out_dir / 'accented' / 'report.html'}  "
               f"{out_dir / 'unaccented' / 'report.html'}")


@click.command(name="eval-compare")
@click.argument("dir_a", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("dir_b", type=click.Path(path_type=Path, file_okay=False, exists=True))
def eval_compare(dir_a: Path, dir_b: Path) -> None:
    """Print the cases whose pass/fail verdict changed between two eval output folders.

    \b
    Cases are matched by id; the verdict is must-contain when the case has it, else refusal
    for unanswerable cases, else answer recall >= 0.5, else hit@5.
    Examples:
      hoidap eval-compare runs/before runs/after
      hoidap eval-compare runs/viquad/accented runs/viquad/unaccented
    """
    from eval.report import compare_runs

    for d in (dir_a, dir_b):
        if not (d / "results.jsonl").is_file():
            fail(f"{d} has no results.jsonl (not an eval output folder)", 2)
    text = compare_runs(dir_a, dir_b)
    click.echo(text, nl=False)


@click.command(name="eval-slice")
@click.argument("ids", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--shared", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The shared folder holding corpus/baomoi.jsonl.gz and corpus/dantri_unc.jsonl.gz.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="JSONL corpus file to write (required unless --select).")
@click.option("--select", is_flag=True,
              help="Cut a new slice by the documented rule and (over)write IDS instead of reading it.")
def eval_slice(ids: Path, shared: Path, out: Path | None, select: bool) -> None:
    """Rebuild a suite's fixed slice of the shared news corpora from its ids file.

    \b
    The output holds the source records unchanged, in the ids file's order: the same bytes on
    every run. The ids file records their sha256; a mismatch (the shared corpora changed) is
    an error, as is an id the corpora lack. Pass the output to `hoidap eval --corpus`.

    \b
    Examples:
      hoidap eval-slice eval/suites/news_dev.ids --shared ../shared --out .hoidap/slices/news_dev.jsonl
      hoidap eval eval/suites/news_dev.jsonl --corpus .hoidap/slices/news_dev.jsonl --out runs/news_dev
    """
    from eval.slice import SliceError, build_slice, select_slice, write_ids

    try:
        if select:
            entries = select_slice(shared)
            digest = write_ids(entries, ids, shared, header=(
                f"Slice of the shared news corpora for {ids.stem} ({len(entries)} articles).\n"
                f"Rebuild: hoidap eval-slice {ids} --shared ../shared --out .hoidap/slices/{ids.stem}.jsonl\n"
                "Chosen by eval.slice.select_slice; lines are <article id><TAB><group>."))
            click.echo(f"{len(entries)} ids written to {ids} (sha256 {digest[:12]}…)")
            return
        if out is None:
            fail("--out is required (or --select to cut a new slice)", 2)
        n, digest = build_slice(ids, shared, out)
    except SliceError as e:
        fail(str(e), 2)
    click.echo(f"{n} articles written to {out} (sha256 {digest[:12]}…)")
