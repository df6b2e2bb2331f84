"""`hoidap serve`: the web UI and HTTP API (registered on the group by ui/cli.py)."""
from __future__ import annotations

import ipaddress
import sys

import click

from rag.settings import SAMPLE_DIR
from ui.cli_base import fail, settings_of


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _start_watch(settings, services, sources: list[str], every: str) -> None:
    """Keep `sources` ingested in a background thread (one log line per run on stderr)."""
    if not sources:
        return
    from ingest.watch import Watcher, parse_every

    try:
        every_s = parse_every(every)
    except ValueError as e:
        fail(f"watch interval: {e}", 2)
    watcher = Watcher(settings, sources, store=services.store, embedder=services.embedder,
                      lock=getattr(services, "_ingest_lock", None))
    watcher.start(every_s, log=lambda line: click.echo(line, err=True))
    click.echo(f"watching {len(sources)} source(s) every {every}", err=True)


@click.command()
@click.option("--host", help="Address to bind (default 127.0.0.1, HOIDAP_HOST). 0.0.0.0 = every interface.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default 7860, HOIDAP_PORT).")
@click.option("--no-sample", is_flag=True, help="Do not ingest the sample articles when the store is empty.")
@click.option("--watch", "watch_sources", multiple=True, metavar="SOURCE",
              help="Folder, file, feed or sitemap to keep ingested (repeatable; HOIDAP_WATCH_SOURCES).")
@click.option("--every", default=None, metavar="DURATION", help="How often watched sources are re-read "
              "(default 15m, HOIDAP_WATCH_EVERY).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, no_sample: bool,
          watch_sources: tuple[str, ...], every: str | None) -> None:
    """Web chat (Hỏi đáp / Nguồn dữ liệu / Thêm bài viết) and HTTP API on one server.

    \b
    Routes: /  (UI), POST /api/ask, GET /api/sources, /api/conversations[/ID[/export]],
            POST /v1/chat/completions, GET /v1/models  (OpenAI-compatible)
    If the store is empty, the sample articles are ingested first. With HOIDAP_ACCESS_TOKEN
    set, the API needs "Authorization: Bearer <token>" and the UI asks for a login
    (user "hoidap", password = the token); with accounts (`hoidap user add`) each person signs
    in with their own name and sees only their conversations (docs/web.md).

    \b
    Examples:
      hoidap serve                              # http://127.0.0.1:7860/
      HOIDAP_ACCESS_TOKEN=s3cret hoidap serve --host 0.0.0.0 --port 8080
    """
    from rag.store import StoreError
    from ui.web import Services, launch

    settings = settings_of(ctx)
    host = host or settings.host
    port = settings.port if port is None else port
    if not _is_loopback(host):
        warn = (f"warning: binding {host}: the app is reachable from other machines"
                + ("" if settings.access_token else " and anyone can ask, upload and delete articles; "
                   "set HOIDAP_ACCESS_TOKEN to require a token"))
        click.secho(warn, fg="yellow", err=True)
    try:
        services = Services(settings)
    except StoreError as e:
        fail(str(e), 2)
    try:
        if not no_sample and not services.documents():
            click.echo(f"store is empty: ingesting the sample articles from {SAMPLE_DIR}", err=True)
            report = services.ingest_paths([SAMPLE_DIR], progress=True)
            click.echo(report.summary(), err=True)
    except BaseException:
        services.close()
        raise
    _start_watch(settings, services, list(watch_sources) or settings.watch_sources, every or settings.watch_every)
    try:
        launch(settings, host, port, services=services)
    except RuntimeError as e:
        fail(str(e), 2)
    sys.exit(0)
