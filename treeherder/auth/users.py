"""People: creating, listing, disabling users, and checking their passwords.

Usernames follow upstream's ``<provider>/<email>`` form: ``email/<address>`` for people who sign in with a password
here, ``oauth2/<address>`` for people who sign in through the configured OpenID Connect provider. A sheriff is a user
with ``is_staff`` (upstream's name for it); an administrator also has ``is_superuser``. Passwords are stored as
argon2id hashes only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from treeherder.db import tables as t
from treeherder.db.engine import Database

PASSWORD_PROVIDER = "email"
OIDC_PROVIDER = "oauth2"
MIN_PASSWORD_LENGTH = 8
# Loose on purpose: the address is an identifier here, not something we mail; it only has to look like one.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")

_hasher = PasswordHasher()
# Verifying against this when the user does not exist makes a wrong address cost as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user operation cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class User:
    """A person as the API and the permission checks see them."""

    id: int
    email: str
    username: str
    is_staff: bool
    is_superuser: bool
    is_active: bool

    @property
    def is_sheriff(self) -> bool:
        return self.is_staff or self.is_superuser

    def as_api(self) -> dict[str, object]:
        """The shape of upstream's ``/api/user/`` entries."""
        return {"username": self.username, "is_superuser": self.is_superuser, "is_staff": self.is_staff, "email": self.email}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_USER_COLUMNS = (
    t.user.c.id, t.user.c.email, t.user.c.username, t.user.c.is_staff, t.user.c.is_superuser, t.user.c.is_active,
)  # fmt: skip


def _user(row) -> User:
    return User(row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]))


def validate_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise UserError(f"{email!r} is not an email address")
    return email


def generate_password() -> str:
    """A one-time password for a new user (about 96 bits, easy to copy)."""
    return secrets.token_urlsafe(12)


def create_user(
    db: Database, email: str, password: str | None, *, sheriff: bool = False, admin: bool = False,
    provider: str = PASSWORD_PROVIDER,
) -> User:  # fmt: skip
    """Create a user; *password* None makes one who can only sign in through OpenID Connect."""
    email = validate_email(email)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        with db.write() as conn:
            user_id = conn.execute(
                t.user.insert().values(
                    email=email,
                    username=f"{provider}/{email}",
                    password_hash=_hasher.hash(password) if password is not None else None,
                    is_staff=sheriff or admin,
                    is_superuser=admin,
                    is_active=True,
                    created=_now(),
                )
            ).inserted_primary_key[0]
    except IntegrityError:
        raise UserError(f"a user with email {email!r} already exists") from None
    return User(user_id, email, f"{provider}/{email}", sheriff or admin, admin, True)


def list_users(db: Database) -> list[User]:
    with db.read() as conn:
        return [_user(row) for row in conn.execute(select(*_USER_COLUMNS).order_by(t.user.c.email))]


def user_by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(t.user.c.id == user_id)).first()
    return _user(row) if row else None


def user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(t.user.c.email == email)).first()
    return _user(row) if row else None


def set_active(db: Database, email: str, active: bool) -> None:
    """Disable (or re-enable) a user: a disabled user cannot sign in, and their open sessions stop working."""
    with db.write() as conn:
        changed = conn.execute(update(t.user).where(t.user.c.email == email).values(is_active=active)).rowcount
    if not changed:
        raise UserError(f"no user with email {email!r}")


def set_password(db: Database, email: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    with db.write() as conn:
        changed = conn.execute(
            update(t.user).where(t.user.c.email == email).values(password_hash=_hasher.hash(password))
        ).rowcount
    if not changed:
        raise UserError(f"no user with email {email!r}")


def authenticate(db: Database, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer, and similar time, for every failure)."""
    with db.read() as conn:
        row = conn.execute(
            select(*_USER_COLUMNS, t.user.c.password_hash).where(t.user.c.email == email.strip())
        ).first()
    stored = row[6] if row is not None and row[6] else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row[6] or not row[5]:
        return None
    user = _user(row)
    with db.write() as conn:
        values: dict[str, object] = {"last_login": _now()}
        if _hasher.check_needs_rehash(stored):
            values["password_hash"] = _hasher.hash(password)
        conn.execute(update(t.user).where(t.user.c.id == user.id).values(**values))
    return user


def upsert_oidc_user(db: Database, email: str, *, sheriff: bool | None) -> User:
    """The user an OpenID Connect sign-in stands for, created on first sign-in.

    *sheriff* is what the provider's groups say (None when no sheriff group is configured: keep what is stored).
    """
    email = validate_email(email)
    with db.write() as conn:
        existing = user_by_email(conn, email)
        if existing is None:
            conn.execute(
                t.user.insert().values(
                    email=email, username=f"{OIDC_PROVIDER}/{email}", password_hash=None, is_staff=bool(sheriff),
                    is_superuser=False, is_active=True, created=_now(), last_login=_now(),
                )  # fmt: skip
            )
        else:
            values: dict[str, object] = {"last_login": _now()}
            if sheriff is not None and not existing.is_superuser:
                values["is_staff"] = sheriff
            conn.execute(update(t.user).where(t.user.c.id == existing.id).values(**values))
        found = user_by_email(conn, email)
    assert found is not None
    return found
