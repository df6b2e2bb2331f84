"""`hoidap user add|list|remove`: accounts for the web page and the API (see ui/web/accounts.py).

    $ hoidap user add lan          # asks the password twice, prints lan's personal API token
    $ hoidap user list
"""
from __future__ import annotations

from pathlib import Path

import click

from ui.cli_base import fail, settings_of


def _accounts(ctx: click.Context):
    from ui.web.accounts import Accounts
    from ui.web.conversations import DB_FILE, Database

    return Accounts(Database(Path(settings_of(ctx).data_dir) / DB_FILE))


@click.group()
def user() -> None:
    """Accounts: each person signs in with a name and password and sees only their conversations.

    \b
    With at least one account, `hoidap serve` asks for a login on the web page and the API needs
    "Authorization: Bearer <personal token>" (or HTTP Basic name:password). Restart the server
    after adding the first account.
    """


@user.command(name="add")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (asked when not given; at least 8 characters).")
@click.option("--replace", is_flag=True, help="Reset the password (and token) of an existing account.")
@click.pass_context
def add(ctx: click.Context, name: str, password: str, replace: bool) -> None:
    """Create an account and print its personal API token (shown once).

    \b
    Example:
      hoidap user add lan
    """
    from ui.web.accounts import AccountError

    try:
        token = _accounts(ctx).add(name, password, replace=replace)
    except AccountError as e:
        fail(str(e), 2)
    click.echo(f"user {name!r} saved. Personal API token (shown once): {token}")


@user.command(name="list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List account names."""
    for name in _accounts(ctx).names():
        click.echo(name)


@user.command(name="remove")
@click.argument("name")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Delete an account (its conversations stay in the database)."""
    if not _accounts(ctx).remove(name):
        fail(f"no user {name!r}", 1)
    click.echo(f"user {name!r} removed")
