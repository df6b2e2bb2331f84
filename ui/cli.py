"""The `hoidap` command line: the core commands (ingest, sources, delete, stats, ask, chat, run),
and the group assembled from them and the command modules (eval_cli, web_cli, user_cli) with
`cli.add_command`. Each command is a thin layer over ingest/, rag/ and eval/.

    $ hoidap ingest data/sample/ && hoidap ask "Sơn La tinh giản được bao nhiêu biên chế?"
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.contract import TOP_K_MAX, TOP_K_MIN
from rag.settings import SAMPLE_DIR, Settings
from ui.cli_base import cli, fail, open_store, settings_of
from ui.eval_cli import eval_cmd, eval_compare, eval_slice, eval_viquad
from ui.user_cli import user
from ui.web_cli import serve


LOCAL_MODE_ADVISE_CHUNKS = 5_000


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--prune", is_flag=True, help="Also delete stored articles whose files are gone from PATHS.")
@click.option("--since", metavar="DATE", help="Feeds and sitemaps: only entries dated DATE (YYYY-MM-DD) or later.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], prune: bool, since: str | None, as_json: bool,
           quiet: bool) -> None:
    """Read, clean, chunk, embed and store articles from files, folders or URLs.

    \b
    Accepts .txt, .md, .html/.htm, .jsonl and .jsonl.gz (one article per line with a
    "text" field; optional id, title, url, date, author, source, category), .docx, .pdf
    (scanned pages by OCR with Tesseract) and images (.png, .jpg, .tif: OCR). Folders are
    read recursively. A URL may be an article page, an RSS/Atom feed or a sitemap (every
    article it lists; --since limits them by date). Unchanged articles are skipped; changed
    ones replace their old version; an interrupted run resumes when you run it again.
    Exit code 1 when any file or URL failed (the others are still stored).

    \b
    Examples:
      hoidap ingest data/sample/
      hoidap ingest ~/news/2024/ export.jsonl.gz --prune
      hoidap ingest https://vnexpress.net/rss/thoi-su.rss
      hoidap ingest https://baomoi.com/sitemaps/news.xml --since 2024-07-01
      hoidap ingest "Ke hoach 25-KH.pdf" bao-cao.docx
    """
    from ingest.pipeline import Ingestor
    from ingest.sources import is_url

    settings = settings_of(ctx)
    missing = [p for p in paths if not is_url(p) and not Path(p).exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}", 2)
    if since is not None:
        from rag.contract import RequestError, parse_filters

        try:
            parse_filters(since=since)
        except RequestError as e:
            fail(f"--since: {e}", 2)
    store = open_store(settings)
    try:
        report = Ingestor(settings, store=store).run(list(paths), prune=prune, progress=not quiet, since=since)
        total = store.count_chunks() if store.kind == "local" else 0
    finally:
        store.close()
    if total > LOCAL_MODE_ADVISE_CHUNKS and not quiet:
        # local mode scores BM25 in a Python loop over every point: ~0.8 s a question at 10k chunks
        click.echo(f"note: {total:,} chunks in qdrant-client local mode (exact search in Python, about "
                   "0.8 s per question at 10,000 chunks); for a store this size set "
                   "HOIDAP_STORE_BACKEND=edge and ingest again (README: Store backends)", err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.summary())
    if report.interrupted:
        sys.exit(130)
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--every", default=None, metavar="DURATION",
              help="How often to re-read them: 30s, 15m, 2h (default 15m, HOIDAP_WATCH_EVERY).")
@click.option("--once", is_flag=True, help="One run, then exit (e.g. from cron).")
@click.pass_context
def watch(ctx: click.Context, sources: tuple[str, ...], every: str | None, once: bool) -> None:
    """Keep folders, files, feeds and sitemaps ingested: re-read them every DURATION.

    \b
    New and changed files are stored, files deleted from a watched folder are removed, new
    feed/sitemap entries are fetched and stored; one log line per run. Stop with Ctrl+C.
    `hoidap serve` does the same for HOIDAP_WATCH_SOURCES (comma-separated).

    \b
    Examples:
      hoidap watch ~/van-ban --every 15m
      hoidap watch https://baodaklak.vn/rss/thoi-su.rss ~/van-ban --once
    """
    from ingest.sources import is_url
    from ingest.watch import Watcher, parse_every

    settings = settings_of(ctx)
    try:
        every_s = parse_every(every or settings.watch_every)
    except ValueError as e:
        fail(f"--every: {e}", 2)
    missing = [s for s in sources if not is_url(s) and not Path(s).exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}", 2)
    store = open_store(settings)
    try:
        watcher = Watcher(settings, list(sources), store=store)
        watcher.loop(every_s, log=lambda line: click.echo(line, err=False), runs=1 if once else None)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List stored articles: id, title, province, date and chunk count.

    \b
    Examples:
      hoidap sources
      hoidap sources --json | jq -r '.title'
    """
    store = open_store(settings_of(ctx))
    try:
        docs = store.list_documents()
    finally:
        store.close()
    if as_json:
        for d in docs:
            click.echo(json.dumps(d, ensure_ascii=False))
        return
    if not docs:
        click.echo("no articles stored yet: run `hoidap ingest PATH`")
        return
    for d in docs:
        flag = "" if d.get("complete", True) else "  (incomplete: re-run ingest)"
        click.echo(f"{d['doc_id']}\t{d.get('published') or '-'}\t{d.get('province') or '-'}\t"
                   f"{d.get('n_chunks', 0)} chunks\t{d.get('title') or '(no title)'}{flag}")


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--source", "source", type=click.Path(path_type=Path), help="Delete every article read from this file or folder.")
@click.pass_context
def delete(ctx: click.Context, doc_ids: tuple[str, ...], source: Path | None) -> None:
    """Delete stored articles by id, or all articles read from a path.

    \b
    Examples:
      hoidap delete 000_dcdfc6636e64646c.txt
      hoidap delete --source data/sample/
    """
    if not doc_ids and not source:
        fail("give DOC_ID(s) or --source PATH", 2)
    store = open_store(settings_of(ctx))
    try:
        ids = list(doc_ids)
        known = {d["doc_id"]: d for d in store.list_documents()}
        unknown = [d for d in ids if d not in known]
        if source:
            root = str(source.resolve())
            ids += [d for d, rec in known.items()
                    if str(rec.get("source", "")).partition("#")[0] == root
                    or str(rec.get("source", "")).startswith(root.rstrip("/") + "/")]
        ids = [d for d in dict.fromkeys(ids) if d in known]
        n = store.delete_documents(ids)
    finally:
        store.close()
    click.echo(f"deleted {n} article(s)")
    if unknown:
        fail(f"not found: {', '.join(unknown)}", 1)
    if source and n == 0:
        fail(f"no stored article was read from {source}", 1)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Show what the store holds: articles, chunks, embedder, location.

    \b
    Example:
      hoidap stats
    """
    settings = settings_of(ctx)
    store = open_store(settings)
    try:
        docs = store.list_documents()
        info = {
            "collection": store.name,
            "backend": store.kind,
            "location": settings.qdrant_url or str(settings.store_path.resolve()),
            "articles": len(docs),
            "chunks": store.count_chunks(),
            "in_flight": sorted(store.pending()),
            "embedder": store.info().get("embedder"),
            "dim": store.info().get("dim"),
            "provinces": sorted({d["province"] for d in docs if d.get("province")}),
            "dates": [min((d["published"] for d in docs if d.get("published")), default=None),
                      max((d["published"] for d in docs if d.get("published")), default=None)],
        }
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for k, v in info.items():
            click.echo(f"{k:12} {v}")


def _filters(province: str | None, since: str | None, until: str | None, source_name: str | None):
    from rag.contract import RequestError, parse_filters

    try:
        return parse_filters(province, since, until, source_name)
    except RequestError as e:
        fail(str(e).replace("filters.", "--"), 2)


def _print_answer(res) -> None:
    click.echo(res.answer)
    if res.notice:
        click.echo(f"\n({res.notice})")
    if res.citations:
        click.echo("")
    for c in res.citations:
        meta = " — ".join(x for x in (c.source_name, (c.published or "")[:10], c.url) if x)
        click.echo(f"[{c.n}] {c.title or c.doc_id}" + (f" — {meta}" if meta else ""))
        click.echo(f"    «{c.quote}»")


_ask_options = [
    click.option("--json", "as_json", is_flag=True, help="Print the full answer object as JSON."),
    click.option("--mode", type=click.Choice(["extractive", "llm"]), help="Answer mode (default from settings)."),
    click.option("--province", help="Only articles about this province (accents optional)."),
    click.option("--since", help="Only articles published on/after this date (YYYY-MM-DD)."),
    click.option("--until", help="Only articles published on/before this date (YYYY-MM-DD)."),
    click.option("--source", "source_name", help="Only articles from this source name (e.g. 'Báo Sơn La')."),
    click.option("--top-k", type=click.IntRange(TOP_K_MIN, TOP_K_MAX), help="Passages to retrieve (default 5)."),
]


def _with_ask_options(f):
    for opt in reversed(_ask_options):
        f = opt(f)
    return f


def _assistant(settings: Settings):
    from rag.assistant import Assistant
    from rag.store import StoreError

    store = open_store(settings)
    if not store.exists():
        store.close()
        fail("nothing ingested yet: run `hoidap ingest data/sample/` first", 2)
    try:
        return Assistant(settings, store=store)
    except StoreError as e:
        store.close()
        fail(str(e), 2)


@cli.command()
@click.argument("question")
@_with_ask_options
@click.pass_context
def ask(ctx, question, as_json, mode, province, since, until, source_name, top_k) -> None:
    """Answer one question from the stored articles, with numbered citations.

    \b
    Examples:
      hoidap ask "Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?"
      hoidap ask "tinh nao bo tri truong ban tuyen giao dong thoi la giam doc trung tam chinh tri"
      hoidap ask "Ban Tuyên giáo đã ban hành bao nhiêu văn bản?" --province "Lạng Sơn" --json
    """
    from rag.assistant import QuestionError

    flt = _filters(province, since, until, source_name)
    assistant = _assistant(settings_of(ctx))
    try:
        res = assistant.ask(question, filters=flt, mode=mode, top_k=top_k)
    except QuestionError as e:
        fail(str(e), 2)
    finally:
        assistant.store.close()
    if as_json:
        click.echo(res.to_json())
    else:
        _print_answer(res)


@cli.command()
@_with_ask_options
@click.pass_context
def chat(ctx, as_json, mode, province, since, until, source_name, top_k) -> None:
    """Multi-turn questions in the terminal; follow-ups use the conversation so far.

    \b
    Type a question and press Enter; "/new" starts a new conversation, "/quit" or Ctrl-D exits.
    Example:
      hoidap chat --province "Đắk Lắk"
    """
    from rag.assistant import QuestionError

    flt = _filters(province, since, until, source_name)
    assistant = _assistant(settings_of(ctx))
    history: list[dict] = []
    try:
        while True:
            try:
                q = input("\n? ").strip()
            except EOFError:
                break
            if q in ("/quit", "/exit"):
                break
            if q == "/new":
                history = []
                click.echo("(cuộc trò chuyện mới)")
                continue
            if not q:
                continue
            try:
                res = assistant.ask(q, history=history, filters=flt, mode=mode, top_k=top_k)
            except QuestionError as e:
                click.echo(f"error: {e}", err=True)
                continue
            click.echo(res.to_json() if as_json else "")
            if not as_json:
                _print_answer(res)
            history += [{"role": "user", "content": q}, {"role": "assistant", "content": res.answer}]
    finally:
        assistant.store.close()


@cli.command(name="run")
@click.pass_context
def run_default(ctx: click.Context) -> None:
    """Ingest the bundled sample articles if the store is empty, then answer a sample question.

    \b
    Example (what `make run` does):
      hoidap run
    """
    from ingest.pipeline import Ingestor

    settings = settings_of(ctx)
    store = open_store(settings)
    try:
        if not store.list_documents():
            click.echo(f"store is empty: ingesting the sample articles from {SAMPLE_DIR}")
            report = Ingestor(settings, store=store).run([SAMPLE_DIR])
            click.echo(report.summary())
        click.echo(f"{len(store.list_documents())} articles, {store.count_chunks()} chunks in {store.name}")
    finally:
        store.close()
    ctx.invoke(ask, question=SAMPLE_QUESTION)


SAMPLE_QUESTION = "Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?"


for _command in (eval_cmd, eval_viquad, eval_compare, eval_slice, serve, user):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="hoidap")


if __name__ == "__main__":  # `python -m ui.cli`
    main()
