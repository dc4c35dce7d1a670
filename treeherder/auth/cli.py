"""`treeherder credentials ...`: issue and manage the Hawk credentials that submitting tools use."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from treeherder.auth.credentials import (
    CredentialError,
    authorize_credential,
    create_credential,
    list_credentials,
    revoke_credential,
)
from treeherder.config import ConfigError, get_settings
from treeherder.db import schema
from treeherder.db.engine import Database, DatabaseUnavailable

T = TypeVar("T")


def _database() -> Database:
    db = Database(get_settings().database_url)
    schema.init(db)
    return db


def _run(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a credential operation, turning what the user can fix into one line on stderr and exit status 1."""
    try:
        return action(*args, **kwargs)
    except (CredentialError, ConfigError, DatabaseUnavailable) as exc:
        click.echo(f"treeherder: error: {exc}", err=True)
        sys.exit(1)


@click.group()
def credentials() -> None:
    """Hawk credentials for submitting jobs and pushes (client id + secret)."""


@credentials.command("create")
@click.argument("client_id")
@click.option("--description", default="", help="Who uses it and what for.")
@click.option("--unauthorized", is_flag=True, help="Create it switched off; `credentials authorize` switches it on.")
@click.option("--owner", "owner_email", default=None, metavar="EMAIL", help="The user its requests act as.")
def create(client_id: str, description: str, unauthorized: bool, owner_email: str | None) -> None:
    """Issue a credential and print {"client_id", "secret"} (the secret is shown this once only).

    CLIENT_ID is a slug of at most 32 characters. New credentials can write at once unless --unauthorized. With
    --owner, sheriffing writes signed with it (notes, bug links, alert triage) act as that user.
    """
    issued = _run(
        create_credential, _run(_database), client_id, description=description, authorized=not unauthorized,
        owner_email=owner_email,
    )  # fmt: skip
    click.echo(json.dumps({"client_id": issued.client_id, "secret": issued.secret}))


@credentials.command("list")
def list_() -> None:
    """List credentials (client id, status, creation time, description; never the secrets)."""
    rows = _run(list_credentials, _run(_database))
    if not rows:
        click.echo("no credentials (create one with `treeherder credentials create CLIENT_ID`)")
        return
    width = max(len(row.client_id) for row in rows)
    for row in rows:
        status = "revoked" if row.revoked else ("authorized" if row.authorized else "unauthorized")
        created = row.created.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{row.client_id:<{width}}  {status:<12}  {created}  {row.description}".rstrip())


@credentials.command("authorize")
@click.argument("client_id")
def authorize(client_id: str) -> None:
    """Let CLIENT_ID submit data (for credentials created with --unauthorized)."""
    _run(authorize_credential, _run(_database), client_id)
    click.echo(f"{client_id} is authorized")


@credentials.command("revoke")
@click.argument("client_id")
def revoke(client_id: str) -> None:
    """Stop CLIENT_ID for good: its requests are refused from now on (it cannot be authorised again)."""
    _run(revoke_credential, _run(_database), client_id)
    click.echo(f"{client_id} is revoked")
