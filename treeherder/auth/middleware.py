"""The ASGI layer of authentication: body size limit, Hawk verification, throttling, signed responses.

It runs for every ``/api/`` request, before routing:

* A body larger than MAX_REQUEST_BYTES is refused with 413 before it is read in full.
* A request with ``Authorization: Hawk ...`` (any method, as upstream: a signed GET is verified and throttled too) is
  verified; a failure is a 403 with upstream's body, and the request goes no further. On success the client id is put
  in the request state (``request.state.hawk_client_id``), the request is counted against the credential's rate
  for the endpoint's scope (429 beyond it), and the response gets a ``Server-Authorization`` header.
* Anything else passes through untouched; handlers that write refuse it themselves (see ``require_hawk_client``).

Recording the nonce and counting the request are writes. For the job and push submissions they are handed to the
handler (``request.state.hawk_auth_writes``, an ``AuthWrites``), which does them in the transaction that stores the
collection: one write transaction per submission instead of two. A replayed or throttled request then rolls that
transaction back, and the writes are redone on their own to give the same answer as before. A request the handler
refuses before it writes (an invalid collection, an unknown project) gets its writes done afterwards, and a replay
or throttle answer takes the place of the handler's. Every other request has them done before it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

import orjson
from starlette.concurrency import run_in_threadpool
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from treeherder.api.errors import database_failure
from treeherder.auth.hawk import HawkFailure, HawkVerifier, SignedRequest, VerifiedRequest
from treeherder.auth.throttle import Rate, retry_after_seconds, throttled_detail
from treeherder.config import Settings
from treeherder.db.engine import Database

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": "80", "https": "443"}
# Upstream's throttle scopes: the views behind these paths (list, detail and actions alike).
_JOBS_PATH = re.compile(r"^/api/project/[^/]+/jobs/")
_PUSH_PATH = re.compile(r"^/api/project/[^/]+/(?:push|resultset)/")
# The submissions whose handlers do the nonce and throttle writes in their own transaction (see AuthWrites).
_SUBMISSION_PATH = re.compile(r"^/api/project/[^/]+/(?:jobs|push)/$")


class _BodyTooLarge(Exception):
    pass


class _BodyTooSlow(Exception):
    pass


async def _answer_json(send: Send, status: int, body: object, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _throttled(send: Send, retry_after: int) -> None:
    """429 with upstream's message and a Retry-After header."""
    headers = [(b"retry-after", str(retry_after).encode())]
    await _answer_json(send, 429, {"detail": throttled_detail(retry_after)}, headers)


async def _read_body(receive: Receive, limit: int, timeout: float) -> bytes:
    """The whole body, refused when larger than ``limit`` or not all there within ``timeout`` seconds (a client
    trickling it in would otherwise hold its connection and our memory for as long as it likes)."""
    chunks: list[bytes] = []
    size = 0
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            message = await asyncio.wait_for(receive(), timeout=max(remaining, 0))
        except TimeoutError:
            raise _BodyTooSlow from None
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the already-read body once, then defers to the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _host_and_port(host: str, scheme: str) -> str:
    if ":" in host.rsplit("]", 1)[-1]:
        return host
    return f"{host}:{DEFAULT_PORTS.get(scheme, '80')}"


def signed_url_candidates(scope: Scope, headers: dict[bytes, bytes], site_url: str) -> list[str]:
    """The absolute URLs a client may have signed for this request, most likely first.

    1. As the client reached us: the Host header (or X-Forwarded-Host behind a proxy) and the scheme (or
       X-Forwarded-Proto). 2. As the configured SITE_URL says the site is reached (a proxy that rewrites Host).
    Hawk signs the path with its query string exactly as sent, so the raw path is used.
    """
    target = scope.get("raw_path") or scope["path"].encode()
    path = target.decode("latin-1")
    if scope.get("query_string"):
        path += "?" + scope["query_string"].decode("latin-1")
    scheme = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[0].strip() or scope.get("scheme", "http")
    host = headers.get(b"x-forwarded-host", b"").decode("latin-1").split(",")[0].strip()
    if not host:
        host = headers.get(b"host", b"").decode("latin-1")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}"
    forwarded_port = headers.get(b"x-forwarded-port", b"").decode("latin-1").strip()
    if forwarded_port and ":" not in host.rsplit("]", 1)[-1]:
        host = f"{host}:{forwarded_port}"
    candidates = [f"{scheme}://{_host_and_port(host, scheme)}{path}"]
    site_scheme, _, rest = site_url.partition("://")
    site_host, _, site_prefix = rest.partition("/")
    if site_prefix and not path.startswith("/" + site_prefix.rstrip("/") + "/"):
        path = "/" + site_prefix.rstrip("/") + path
    from_site = f"{site_scheme}://{_host_and_port(site_host, site_scheme)}{path}"
    if from_site not in candidates:
        candidates.append(from_site)
    return candidates


class AuthRefused(Exception):
    """The nonce or throttle writes done in a handler's transaction refuse the request (the transaction rolls back)."""


class AuthWrites:
    """The nonce and throttle writes of one verified submission, for the handler to do in its write transaction.

    ``record(conn)`` is called first thing in that transaction; ``committed()`` after it commits. Writes that were
    not committed are done by the middleware once the handler is finished.
    """

    def __init__(self, middleware: HawkMiddleware, verified: VerifiedRequest, path: str) -> None:
        self._middleware = middleware
        self._verified = verified
        self._path = path
        self.done = False

    def record(self, conn: Connection) -> None:
        """Record the nonce and count the request; raises AuthRefused for a replay or beyond the rate."""
        try:
            retry_after = self._middleware.record(conn, self._verified, self._path)
        except HawkFailure:
            raise AuthRefused from None
        if retry_after is not None:
            raise AuthRefused

    def committed(self) -> None:
        self.done = True


def auth_writes(state: object) -> AuthWrites | None:
    """The AuthWrites a handler should do in its transaction (None when the middleware did them already)."""
    return getattr(state, "hawk_auth_writes", None)


class HawkMiddleware:
    """Body size limit, Hawk verification and throttling for ``/api/`` requests (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings, db: Database) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.max_body = settings.max_request_bytes
        self.verifier = HawkVerifier(db, settings.hawk_max_skew)
        self.scopes: list[tuple[re.Pattern[str], str, Rate]] = [
            (_JOBS_PATH, "jobs", Rate(*settings.throttle_jobs)),
            (_PUSH_PATH, "push", Rate(*settings.throttle_push)),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization", b"")
        is_hawk = authorization[:5].lower() == b"hawk "
        if not is_hawk and scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return

        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(send)
            return
        try:
            body = await _read_body(receive, self.max_body, self.settings.request_read_timeout)
        except _BodyTooLarge:
            await self._too_large(send)
            return
        except _BodyTooSlow:
            detail = f"Request body not received within {self.settings.request_read_timeout} seconds."
            await _answer_json(send, 408, {"detail": detail}, [(b"connection", b"close")])
            return
        receive = _replay(body, receive)
        if not is_hawk:
            await self.app(scope, receive, send)
            return

        signed = SignedRequest(
            header=authorization.decode("latin-1"),
            method=scope["method"],
            urls=signed_url_candidates(scope, headers, self.settings.site_url),
            content=body,
            content_type=headers.get(b"content-type", b"").decode("latin-1"),
        )
        if scope["method"] == "POST" and _SUBMISSION_PATH.match(scope["path"]):
            await self._submission(scope, receive, send, signed)
            return
        try:
            verified, retry_after = await run_in_threadpool(self._authenticate, signed, scope["path"])
        except HawkFailure as failure:
            await _answer_json(send, 403, {"detail": failure.detail})
            return
        except OperationalError as exc:  # the nonce and throttle count could not be recorded: retry later
            await self._database_failure(send, exc)
            return
        signing_send = self._signing_send(send, verified)
        if retry_after is not None:
            await _throttled(signing_send, retry_after)
            return
        scope.setdefault("state", {})["hawk_client_id"] = verified.client_id
        await self.app(scope, receive, signing_send)

    async def _submission(self, scope: Scope, receive: Receive, send: Send, signed: SignedRequest) -> None:
        """A job or push submission: its handler does the nonce and throttle writes in its own transaction."""
        try:
            verified = await run_in_threadpool(self.verifier.verify, signed)
        except HawkFailure as failure:
            await _answer_json(send, 403, {"detail": failure.detail})
            return
        except OperationalError as exc:  # the credential could not be read: retry later
            await self._database_failure(send, exc)
            return
        writes = AuthWrites(self, verified, scope["path"])
        state = scope.setdefault("state", {})
        state["hawk_client_id"] = verified.client_id
        state["hawk_auth_writes"] = writes
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        refused = False
        try:
            await self.app(scope, receive, hold)
        except AuthRefused:
            refused = True
        except Exception:
            if not writes.done:  # the nonce is spent whatever became of the request
                with contextlib.suppress(HawkFailure, OperationalError):
                    await run_in_threadpool(self._record_alone, verified, scope["path"])
            raise
        signing_send = self._signing_send(send, verified)
        if not writes.done:
            try:
                retry_after = await run_in_threadpool(self._record_alone, verified, scope["path"])
            except HawkFailure as failure:
                await _answer_json(send, 403, {"detail": failure.detail})
                return
            except OperationalError as exc:
                await self._database_failure(send, exc)
                return
            if retry_after is None and refused:
                # Refused in the handler's transaction, accepted just after: the throttle window turned meanwhile.
                retry_after = 1
            if retry_after is not None:
                await _throttled(signing_send, retry_after)
                return
        for message in held:
            await signing_send(message)

    def record(self, conn: Connection, verified: VerifiedRequest, path: str) -> int | None:
        """Record the request's nonce (HawkFailure if replayed) and count it against its scope's rate; the seconds
        to wait when it is beyond the rate, else None."""
        self.verifier.record_nonce(conn, verified)
        for pattern, name, rate in self.scopes:
            if pattern.match(path):
                return retry_after_seconds(conn, f"{verified.client_id}:{name}", rate)
        return None

    def _record_alone(self, verified: VerifiedRequest, path: str) -> int | None:
        with self.db.write() as conn:
            return self.record(conn, verified, path)

    def _authenticate(self, signed: SignedRequest, path: str) -> tuple[VerifiedRequest, int | None]:
        verified = self.verifier.verify(signed)
        return verified, self._record_alone(verified, path)

    async def _database_failure(self, send: Send, exc: OperationalError) -> None:
        error = database_failure(exc)
        headers = [(k.lower().encode(), v.encode()) for k, v in (error.headers or {}).items()]
        await _answer_json(send, error.status_code, error.body, headers)

    async def _too_large(self, send: Send) -> None:
        await _answer_json(
            send, 413, {"detail": f"Request body is too large: the limit is {self.max_body} bytes."}
        )

    @staticmethod
    def _signing_send(send: Send, verified: VerifiedRequest) -> Callable:
        """Holds the response back until its body is complete, then sends it with a Server-Authorization header."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def signing_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            response_headers = list(start.get("headers", []))
            content_type = next((v for k, v in response_headers if k.lower() == b"content-type"), b"")
            header = verified.response_header(body, content_type.decode("latin-1"))
            response_headers.append((b"server-authorization", header.encode("latin-1")))
            await send({**start, "headers": response_headers})
            await send({"type": "http.response.body", "body": body})

        return signing_send
