"""Hawk request signing for :mod:`requests`, built on :mod:`mohawk`.

Treeherder accepts job submissions only with Hawk credentials. Upstream's client used ``requests-hawk``; this module
does the same job with ``mohawk`` directly, so the client needs nothing beyond ``requests`` and ``mohawk``.
"""

from __future__ import annotations

import io

import mohawk
import requests

HAWK_ALGORITHM = "sha256"


class HawkAuth(requests.auth.AuthBase):
    """Sign every request with a Hawk ``Authorization`` header, payload hash included.

    A fresh nonce and timestamp are drawn for each call, so a prepared request that is re-signed before being sent
    again (as the client does when it retries a GET) is never rejected as a replay.
    """

    def __init__(self, client_id: str, secret: str) -> None:
        self.credentials = {"id": client_id, "key": secret, "algorithm": HAWK_ALGORITHM}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body
        if body is None:
            body = b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        content_type = request.headers.get("Content-Type", "")
        sender = mohawk.Sender(
            self.credentials,
            request.url,
            request.method,
            # A file object rather than bytes: mohawk pretty-prints bytes content into a debug message while
            # hashing it, which for a large job collection costs far more than the hash itself.
            content=io.BytesIO(body),
            content_type=content_type,
        )
        request.headers["Authorization"] = sender.request_header
        return request
