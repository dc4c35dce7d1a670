"""Hawk credentials: issuing, listing, authorising and revoking them, and looking one up for a request.

A credential is a client id (a slug of at most 32 characters, as upstream) and a random secret. Hawk needs the secret
itself to compute the request MAC, so it is stored as issued; it is shown once, when the credential is created, and
never logged. A revoked credential stays in the table (so its id cannot be reissued by mistake) but never works again.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from treeherder.db import tables as t
from treeherder.db.engine import Database

CLIENT_ID_RE = re.compile(r"^[-a-zA-Z0-9_]{1,32}$")


class CredentialError(ValueError):
    """A credential operation cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential as listed (no secret)."""

    client_id: str
    description: str
    authorized: bool
    revoked: bool
    created: datetime

    @property
    def usable(self) -> bool:
        return self.authorized and not self.revoked


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    client_id: str
    secret: str


def validate_client_id(client_id: str) -> str:
    if not CLIENT_ID_RE.match(client_id):
        raise CredentialError(
            f"invalid client id {client_id!r}: use 1 to 32 letters, digits, '-' or '_' (a slug)"
        )
    return client_id


def create_credential(
    db: Database, client_id: str, *, description: str = "", authorized: bool = True, owner_email: str | None = None
) -> IssuedCredential:
    """Issue a credential with a fresh random secret (returned once; only its holder should see it again).

    With *owner_email*, requests signed with it act as that user (sheriffing writes are recorded in their name).
    """
    validate_client_id(client_id)
    # 32 random bytes: far beyond guessing, and URL/header-safe as Hawk keys must be.
    secret = secrets.token_urlsafe(32)
    try:
        with db.write() as conn:
            owner_id = None
            if owner_email is not None:
                owner_id = conn.execute(select(t.user.c.id).where(t.user.c.email == owner_email)).scalar()
                if owner_id is None:
                    raise CredentialError(f"no user with email {owner_email!r} (create one with `treeherder users create`)")
            conn.execute(
                t.credentials.insert().values(
                    client_id=client_id,
                    owner_id=owner_id,
                    secret=secret,
                    description=description,
                    authorized=authorized,
                    revoked=False,
                    created=datetime.now(UTC).replace(tzinfo=None),
                )
            )
    except IntegrityError:
        raise CredentialError(f"a credential with client id {client_id!r} already exists") from None
    return IssuedCredential(client_id, secret)


def list_credentials(db: Database) -> list[Credential]:
    c = t.credentials.c
    with db.read() as conn:
        rows = conn.execute(
            select(c.client_id, c.description, c.authorized, c.revoked, c.created).order_by(c.client_id)
        ).all()
    return [Credential(*row) for row in rows]


def _set_flags(db: Database, client_id: str, **values: bool) -> None:
    with db.write() as conn:
        row = conn.execute(select(t.credentials.c.revoked).where(t.credentials.c.client_id == client_id)).first()
        if row is None:
            raise CredentialError(f"no credential with client id {client_id!r}")
        if row.revoked and values.get("authorized"):
            raise CredentialError(f"credential {client_id!r} was revoked and cannot be authorised again; create a new one")
        conn.execute(update(t.credentials).where(t.credentials.c.client_id == client_id).values(**values))


def authorize_credential(db: Database, client_id: str) -> None:
    """Let a credential write (credentials created with ``--unauthorized`` wait for this)."""
    _set_flags(db, client_id, authorized=True)


def revoke_credential(db: Database, client_id: str) -> None:
    """Stop a credential for good (its secret leaked, or its user left): every later request with it gets 403."""
    _set_flags(db, client_id, authorized=False, revoked=True)


# Runs for every signed request: written out once rather than built per call.
_USABLE_SECRET = (
    select(t.credentials.c.secret)
    .where(
        t.credentials.c.client_id == bindparam("client_id"),
        t.credentials.c.authorized.is_(True),
        t.credentials.c.revoked.is_(False),
    )
)


def usable_secret(db: Database, client_id: str) -> str | None:
    """The secret of an authorised, unrevoked credential, or None: what Hawk verification needs."""
    with db.read() as conn:
        return conn.execute(_USABLE_SECRET, {"client_id": client_id}).scalar()
