"""Who is making a request: signed-cookie sessions, CSRF protection, and the permission checks of writes.

A signed-in browser carries a ``sessionid`` cookie (Starlette's SessionMiddleware: the session is a JSON dict signed
with SECRET_KEY by itsdangerous) holding the user id and a CSRF token. The same token is given to the page in a
readable ``csrftoken`` cookie; every cookie-authenticated write must echo it in an ``X-CSRFToken`` header, which
another site's page cannot read, so it cannot forge the write (the names are upstream's, from Django).

Automation writes with Hawk credentials instead; a credential that has an owner acts as that user.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from fastapi import FastAPI, Request, Response
from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware

from treeherder.api.errors import APIError, bare, detail
from treeherder.auth.users import User, user_by_id
from treeherder.config import Settings
from treeherder.db import tables as t
from treeherder.db.engine import Database

SESSION_COOKIE = "sessionid"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
SESSION_MAX_AGE = 14 * 24 * 3600  # two weeks, as Django's default

NOT_AUTHENTICATED = "Authentication credentials were not provided."
NOT_PERMITTED = "You do not have permission to perform this action."
CSRF_MISSING = "CSRF Failed: CSRF token missing."
CSRF_INCORRECT = "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
NOT_STAFF = "Must be staff or in sheriffing group"


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or (when unset) a random key generated once and kept in the data folder.

    Keeping it in a file lets sessions survive restarts and be shared by the worker processes of one server.
    """
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes start together, one writes and the other reads the winner's key.
        with path.open("x") as out:
            out.write(key)
        path.chmod(0o600)
        return key
    except FileExistsError:
        return path.read_text().strip()


def install_sessions(app: FastAPI, settings: Settings) -> None:
    """Add the signed-cookie session middleware (call after the other middleware: it must see requests first)."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.site_url.startswith("https://"),
    )


def sign_in(request: Request, response: Response, user: User) -> None:
    """Start a session for *user* (a fresh session and CSRF token, so a planted session id is never reused)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    set_csrf_cookie(request, response)


def sign_out(request: Request, response: Response) -> None:
    request.session.clear()
    response.delete_cookie(CSRF_COOKIE, path="/")


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Give the page the session's CSRF token in a cookie its scripts can read (nothing for anonymous requests)."""
    token = request.session.get("csrf") if "session" in request.scope else None
    if token:
        response.set_cookie(
            CSRF_COOKIE, token, max_age=SESSION_MAX_AGE, path="/", samesite="lax",
            secure=request.app.state.settings.site_url.startswith("https://"),
        )  # fmt: skip


def session_user(request: Request) -> User | None:
    """The active user of the request's session, or None (anonymous, disabled since, or deleted)."""
    if "session" not in request.scope:
        return None
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    db: Database = request.app.state.db
    with db.read() as conn:
        user = user_by_id(conn, user_id)
    if user is None or not user.is_active:
        return None
    return user


def _credential_owner(db: Database, client_id: str) -> User | None:
    with db.read() as conn:
        owner_id = conn.execute(select(t.credentials.c.owner_id).where(t.credentials.c.client_id == client_id)).scalar()
        if owner_id is None:
            return None
        user = user_by_id(conn, owner_id)
    return user if user is not None and user.is_active else None


def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated write whose X-CSRFToken header does not match the session's token."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        raise detail(403, CSRF_MISSING)
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        raise detail(403, CSRF_INCORRECT)


def request_writer(request: Request) -> User:
    """The user a write acts as: the owner of its Hawk credential, or the signed-in user (CSRF checked).

    Anonymous writes and writes with an ownerless credential are refused with upstream's 403 bodies.
    """
    client_id = getattr(request.state, "hawk_client_id", None)
    if client_id:
        owner = _credential_owner(request.app.state.db, client_id)
        if owner is None:
            raise detail(403, NOT_PERMITTED)
        return owner
    user = session_user(request)
    if user is None:
        raise detail(403, NOT_AUTHENTICATED)
    check_csrf(request)
    return user


def require_sheriff(request: Request) -> User:
    """A FastAPI dependency for sheriffing writes (notes, bug links, alert triage): a sheriff, or an owned credential.

    An owned Hawk credential acts as its owner; creating one is an administrator's decision (``credentials create
    --owner``), so automation needs no sheriff bit of its own.
    """
    user = request_writer(request)
    if getattr(request.state, "hawk_client_id", None) or user.is_sheriff:
        return user
    raise detail(403, NOT_PERMITTED)


def require_staff(request: Request) -> User:
    """As require_sheriff, but refusals use upstream's bare string of the classification endpoint."""
    try:
        return require_sheriff(request)
    except APIError as refusal:
        if refusal.body == {"detail": NOT_PERMITTED}:
            raise bare(403, NOT_STAFF) from None
        raise
