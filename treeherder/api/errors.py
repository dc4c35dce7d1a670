"""Error answers in upstream's shapes.

Framework-style errors are ``{"detail": "..."}``; several upstream views answer with a bare JSON string or
``{"message": "..."}``, and compatible clients match on those exact bodies, so each shape has a helper.
"""

from __future__ import annotations

from typing import Any

from treeherder.api.responses import ORJSONResponse


class APIError(Exception):
    """Raised anywhere in a request to answer with exactly this status and JSON body."""

    def __init__(self, status_code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = headers
        super().__init__(f"{status_code}: {body!r}")

    def response(self) -> ORJSONResponse:
        return ORJSONResponse(self.body, status_code=self.status_code, headers=self.headers)


def detail(status_code: int, text: str, headers: dict[str, str] | None = None) -> APIError:
    """``{"detail": text}``: DRF's shape, and ours for every error upstream does not spell otherwise."""
    return APIError(status_code, {"detail": text}, headers)


def bare(status_code: int, text: str) -> APIError:
    """A bare JSON string body, as several upstream views answer (e.g. ``"No job with id: 7"``)."""
    return APIError(status_code, text)


def message(status_code: int, text: str) -> APIError:
    """``{"message": text}``, the shape of upstream's hand-written views."""
    return APIError(status_code, {"message": text})


# Retry-After for a database that is restarting or unreachable: long enough not to hammer it, short enough that a
# client's retry lands soon after it is back.
DATABASE_RETRY_AFTER_SECONDS = 5
_DISK_FULL_MARKERS = ("disk is full", "no space left", "could not extend file", "diskfull")
# SQLite's interrupted statement and PostgreSQL's statement_timeout: a read ran past SQL_TIME_LIMIT_MS.
_TIME_LIMIT_MARKERS = ("interrupted", "canceling statement due to statement timeout", "querycanceled")


def database_failure(exc: BaseException) -> APIError:
    """The answer to a database that failed operationally (not to bad input): the transaction was rolled back.

    A full disk is 507 (retrying will not help until an operator frees space); anything else (the server restarting,
    the connection dropped, a lock not granted in time) is 503 with Retry-After, so that clients try again.
    """
    text = f"{type(getattr(exc, 'orig', None)).__name__} {getattr(exc, 'orig', exc)}".lower()
    if any(marker in text for marker in _DISK_FULL_MARKERS):
        return detail(507, "The database has no space left; nothing was stored. Try again once space is freed.")
    if any(marker in text for marker in _TIME_LIMIT_MARKERS):
        return detail(503, "The query took longer than this server allows (SQL_TIME_LIMIT_MS); ask for less at once.")
    return detail(
        503,
        "The database is unavailable right now; nothing was stored. Retry later.",
        {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )
