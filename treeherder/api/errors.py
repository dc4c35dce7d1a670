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
