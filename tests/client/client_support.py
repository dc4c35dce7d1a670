"""Shared constants and helpers for the thclient tests (imported by the test modules)."""

from __future__ import annotations

import mohawk
import requests

SERVER = "http://treeherder.test"
HAWK_ID = "test-client"
HAWK_SECRET = "5c6d3b3e-8f7a-4e86-9a1e-0f1f2e3d4c5b"


def verify_hawk(request: requests.PreparedRequest) -> mohawk.Receiver:
    """Check a request's Hawk header the way a server does (MAC, payload hash, skew); raises on failure."""
    credentials = {"id": HAWK_ID, "key": HAWK_SECRET, "algorithm": "sha256"}

    def lookup(client_id: str) -> dict[str, str]:
        if client_id != HAWK_ID:
            raise LookupError(client_id)
        return credentials

    body = request.body or b""
    return mohawk.Receiver(
        lookup,
        request.headers["Authorization"],
        request.url,
        request.method,
        content=body,
        content_type=request.headers.get("Content-Type", ""),
    )
