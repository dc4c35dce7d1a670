"""Sending Hawk-signed requests to the test server (mohawk's Sender, as requests-hawk uses it)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import mohawk
import orjson

from treeherder.auth.credentials import IssuedCredential, create_credential
from treeherder.db.engine import Database


@dataclass
class SignedResponse:
    response: httpx.Response
    sender: mohawk.Sender

    def server_signature_is_valid(self) -> bool:
        """Checks the Server-Authorization header as a client would (raises if it is missing or wrong)."""
        self.sender.accept_response(
            self.response.headers["Server-Authorization"],
            content=self.response.content,
            content_type=self.response.headers["Content-Type"],
        )
        return True


def issue(database: Database, client_id: str = "ci-bot", **kwargs) -> IssuedCredential:
    return create_credential(database, client_id, **kwargs)


def sign(
    credential: IssuedCredential,
    method: str,
    url: str,
    body: bytes = b"",
    content_type: str = "application/json",
    *,
    ts: int | None = None,
    nonce: str | None = None,
    secret: str | None = None,
) -> mohawk.Sender:
    return mohawk.Sender(
        {"id": credential.client_id, "key": secret or credential.secret, "algorithm": "sha256"},
        url,
        method,
        content=body,
        content_type=content_type,
        nonce=nonce,
        _timestamp=ts,
    )


def send(
    client: httpx.Client,
    credential: IssuedCredential,
    method: str,
    path: str,
    data=None,
    *,
    body: bytes | None = None,
    content_type: str = "application/json",
    ts: int | None = None,
    nonce: str | None = None,
    secret: str | None = None,
    signed_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> SignedResponse:
    """Sign and send one request, as requests-hawk would: the MAC covers the URL the client uses."""
    if body is None:
        body = orjson.dumps(data) if data is not None else b""
    url = f"{client.base_url}".rstrip("/") + path
    sender = sign(credential, method, signed_url or url, body, content_type, ts=ts, nonce=nonce, secret=secret)
    request_headers = {"Authorization": sender.request_header, **(headers or {})}
    if content_type:
        request_headers["Content-Type"] = content_type
    response = client.request(method, path, content=body, headers=request_headers)
    return SignedResponse(response, sender)


def now() -> int:
    return int(time.time())
