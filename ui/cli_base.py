"""The `hoidap` click group and the helpers every command module shares.

Command modules import from here (never from ui/cli.py); ui/cli.py defines the core commands
and registers the others with `cli.add_command`, so no module imports back into the one that
assembles the group (simonw/llm's layout).

    >>> from ui.cli_base import cli, fail, settings_of
    >>> @click.command()
    ... @click.pass_context
    ... def hello(ctx):
    ...     click.echo(settings_of(ctx).data_dir)
    >>> cli.add_command(hello)  # doctest: +SKIP
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from rag.settings import Settings, apply_process_env


def settings_of(ctx: click.Context) -> Settings:
    """The Settings the group built from --data-dir/--collection, HOIDAP_* and hoidap.toml."""
    return ctx.obj["settings"]


def fail(msg: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


def open_store(settings: Settings, collection: str | None = None):
    from rag.store import Store, StoreError

    try:
        return Store(settings, collection)
    except StoreError as e:
        fail(str(e), 2)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data-dir", type=click.Path(path_type=Path), help="Store location (default ./.hoidap, HOIDAP_DATA_DIR).")
@click.option("--collection", help="Qdrant collection (default 'articles', HOIDAP_COLLECTION).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, collection: str | None) -> None:
    """hoidap: ask questions about Vietnamese news articles, get answers with citations.

    \b
    Quick start:
      hoidap ingest data/sample/           # clean, chunk, embed and store articles
      hoidap ask "Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?"
      hoidap sources                       # what is stored

    Settings come from HOIDAP_* environment variables or ./hoidap.toml (see README).
    """
    apply_process_env()
    overrides = {}
    if data_dir:
        overrides["data_dir"] = data_dir
    if collection:
        overrides["collection"] = collection
    ctx.obj = {"settings": Settings(**overrides)}
