"""Hawk request verification (mohawk does the cryptography) with a replay cache shared by every API process.

mohawk's ``Receiver`` checks the MAC over method, URL (path, host, port), timestamp, nonce and payload hash, then the
payload hash itself, then the clock skew. We supply the credential lookup, the URLs the client may have signed, and
the nonce store: the ``hawk_nonce`` table, so a request replayed to another API process (or another server behind
the same database) is refused too. Failures carry upstream's exact ``detail`` texts (API.md §2.2).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import mohawk
from mohawk import exc as hawk_exc
from mohawk.util import parse_authorization_header
from sqlalchemy import Connection, text

from treeherder.auth.credentials import usable_secret
from treeherder.db.engine import Database

log = logging.getLogger(__name__)

FAILED = "Hawk authentication failed"
MALFORMED = "Hawk authentication failed: The request header was malformed"
EXPIRED = "Hawk authentication failed: The token has expired. Is your system clock correct?"
# Nonces outlive the skew window a little, as upstream's cache (60 s skew, 65 s cache).
NONCE_GRACE_SECONDS = 5
# Expired nonces are purged by whichever request comes along, at most this often per process.
NONCE_PURGE_INTERVAL = 30.0
_REQUIRED_KEYS = ("id", "ts", "nonce", "mac")
# Written out (the same on SQLite and PostgreSQL) so that no SQL is built per request. RETURNING gives no row when
# the conflict clause skipped the insert, i.e. when the nonce was seen before (rowcount is not reliable for this).
_RECORD_NONCE = text(
    "INSERT INTO hawk_nonce (client_id, nonce, ts, expires_at) VALUES (:client_id, :nonce, :ts, :expires_at) "
    "ON CONFLICT (client_id, nonce, ts) DO NOTHING RETURNING nonce"
)
_PURGE_NONCES = text("DELETE FROM hawk_nonce WHERE expires_at < :now")


class HawkFailure(Exception):
    """The request's Hawk header does not authenticate it; ``detail`` is the text to answer with (HTTP 403)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What Hawk signs in a request. ``urls`` are the absolute URLs the client may have signed, most likely first
    (the URL as this server was reached, then as seen through SITE_URL); the first whose MAC matches wins."""

    header: str
    method: str
    urls: Sequence[str]
    content: bytes
    content_type: str


@dataclass(slots=True)
class VerifiedRequest:
    """A request whose MAC, payload hash and timestamp are good; its nonce still has to be recorded."""

    client_id: str
    nonce: str
    ts: int
    receiver: mohawk.Receiver

    def response_header(self, content: bytes, content_type: str) -> str:
        """The ``Server-Authorization`` header for the response body (lets the client check who answered)."""
        return self.receiver.respond(content=content, content_type=content_type)


def _parse_header(header: str) -> dict[str, str]:
    try:
        parsed = parse_authorization_header(header)
    except (hawk_exc.HawkFail, ValueError):
        raise HawkFailure(MALFORMED) from None
    if any(not parsed.get(key) for key in _REQUIRED_KEYS) or not parsed["ts"].isdigit():
        raise HawkFailure(MALFORMED)
    return parsed


class HawkVerifier:
    """Verifies Hawk-signed requests against the credentials in one database."""

    def __init__(self, db: Database, max_skew_seconds: int) -> None:
        self.db = db
        self.max_skew = max_skew_seconds
        self._last_purge = 0.0

    def verify(self, request: SignedRequest) -> VerifiedRequest:
        """Check everything but the nonce; raises HawkFailure with upstream's message."""
        parsed = _parse_header(request.header)
        client_id = parsed["id"]
        secret = usable_secret(self.db, client_id) if len(client_id) <= 32 else None
        if secret is None:
            raise HawkFailure(f"No authorised credentials found with id {client_id}")
        credentials = {"id": client_id, "key": secret, "algorithm": "sha256"}
        for url in request.urls:
            try:
                receiver = mohawk.Receiver(
                    lambda _id: credentials,
                    request.header,
                    url,
                    request.method,
                    # A file object, not bytes: mohawk pretty-prints bytes content into a debug message every time
                    # it hashes it (costlier than storing the jobs), but only the repr of a file object.
                    content=io.BytesIO(request.content),
                    content_type=request.content_type,
                    # The nonce is recorded afterwards, in the same transaction as the throttle count.
                    seen_nonce=lambda *_: False,
                    timestamp_skew_in_seconds=self.max_skew,
                )
            except hawk_exc.MacMismatch:
                continue  # maybe signed for the next candidate URL
            except hawk_exc.TokenExpired:
                raise HawkFailure(EXPIRED) from None
            except hawk_exc.BadHeaderValue:
                raise HawkFailure(MALFORMED) from None
            except hawk_exc.HawkFail as failure:
                log.info("Hawk request from %s refused: %s", client_id, type(failure).__name__)
                raise HawkFailure(FAILED) from None
            return VerifiedRequest(client_id, parsed["nonce"], int(parsed["ts"]), receiver)
        log.info("Hawk request from %s refused: MAC mismatch for %s", client_id, ", ".join(request.urls))
        raise HawkFailure(FAILED)

    def record_nonce(self, conn: Connection, verified: VerifiedRequest) -> None:
        """Remember the request's nonce; raises HawkFailure if it was seen already (a replayed request).

        A nonce only needs keeping while its timestamp is within the skew window: after that the timestamp check
        refuses the replay anyway.
        """
        now = time.time()
        if now - self._last_purge > NONCE_PURGE_INTERVAL:
            self._last_purge = now
            conn.execute(_PURGE_NONCES, {"now": int(now)})
        params = {
            "client_id": verified.client_id,
            "nonce": verified.nonce[:64],
            "ts": verified.ts,
            "expires_at": verified.ts + self.max_skew + NONCE_GRACE_SECONDS,
        }
        if conn.execute(_RECORD_NONCE, params).first() is None:
            log.info("Hawk request from %s refused: nonce replayed", verified.client_id)
            raise HawkFailure(FAILED)
