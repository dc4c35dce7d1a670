"""`treeherder users ...`: the people who sign in to the UI (sheriffs classify failures and triage alerts)."""

from __future__ import annotations

import sys

import click

from treeherder.auth.cli import _database, _run
from treeherder.auth.users import UserError, create_user, generate_password, list_users, set_active, set_password


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        click.echo("treeherder: error: no password on standard input", err=True)
        sys.exit(1)
    return password


def _run_user(action, *args, **kwargs):
    try:
        return _run(action, *args, **kwargs)
    except UserError as exc:
        click.echo(f"treeherder: error: {exc}", err=True)
        sys.exit(1)


@click.group()
def users() -> None:
    """People who sign in to the UI: sheriffs classify failures and triage performance alerts."""


@users.command("create")
@click.argument("email")
@click.option("--sheriff", is_flag=True, help="May classify failures, link bugs and triage alerts.")
@click.option("--admin", is_flag=True, help="Administrator (implies --sheriff).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one.")
@click.option("--no-password", is_flag=True, help="No password: the user signs in through OpenID Connect only.")
def create(email: str, sheriff: bool, admin: bool, password_stdin: bool, no_password: bool) -> None:
    """Create a user. Prints a generated one-time password unless --password-stdin or --no-password."""
    if password_stdin and no_password:
        click.echo("treeherder: error: --password-stdin and --no-password exclude each other", err=True)
        sys.exit(1)
    password = None if no_password else (_password_from_stdin() if password_stdin else generate_password())
    user = _run_user(create_user, _run(_database), email, password, sheriff=sheriff, admin=admin)
    role = "admin" if user.is_superuser else ("sheriff" if user.is_staff else "user")
    click.echo(f"created {role} {user.email} ({user.username})")
    if password is not None and not password_stdin:
        click.echo(f"password: {password}")


@users.command("list")
def list_() -> None:
    """List users: email, role, whether they may sign in."""
    rows = _run(list_users, _run(_database))
    if not rows:
        click.echo("no users (create one with `treeherder users create EMAIL --sheriff`)")
        return
    width = max(len(row.email) for row in rows)
    for row in rows:
        role = "admin" if row.is_superuser else ("sheriff" if row.is_staff else "user")
        click.echo(f"{row.email:<{width}}  {role:<7}  {'active' if row.is_active else 'disabled'}")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Stop EMAIL from signing in (their open sessions stop working too)."""
    _run_user(set_active, _run(_database), email, False)
    click.echo(f"{email} is disabled")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled user sign in again."""
    _run_user(set_active, _run(_database), email, True)
    click.echo(f"{email} is enabled")


@users.command("set-password")
@click.argument("email")
def set_password_(email: str) -> None:
    """Set EMAIL's password from standard input."""
    _run_user(set_password, _run(_database), email, _password_from_stdin())
    click.echo(f"password of {email} changed")
