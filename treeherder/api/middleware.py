"""Checks that run before routing, as plain ASGI middleware (cheap on every request)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

FORBIDDEN_HTML = (
    b"<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>403 Forbidden</title>\n</head>\n<body>\n"
    b"  <h1>403 Forbidden</h1><p></p>\n"
    b"  <p>Requests from generic HTTP libraries are refused. Identify your client with a descriptive User-Agent "
    b"header (for example <code>my-tool/1.2 (me@example.org)</code>); the Python client <code>thclient</code> "
    b"does this for you. See <a href=\"/docs/#section/User-Agent\">the API documentation</a>.</p>\n"
    b"</body>\n</html>\n"
)

ALLOWED_VERSIONS = (b"1.0", b"1.1")
VERSION_RE = re.compile(rb"version\s*=\s*([^\s;,]+)")
NOT_ACCEPTABLE = b'{"detail":"Invalid version in \\"Accept\\" header."}'


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UserAgentAndVersionMiddleware:
    """Refuses generic scripting User-Agents (403, before anything else runs) and unknown API versions (406)."""

    def __init__(self, app: ASGIApp, disallowed_user_agents: tuple[str, ...]) -> None:
        self.app = app
        self.blocked = re.compile("|".join(f"(?:{p})" for p in disallowed_user_agents)) if disallowed_user_agents else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        agent = accept = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                agent = value
            elif name == b"accept":
                accept = value
        if agent is not None and self.blocked is not None and self.blocked.search(agent.decode("latin-1")):
            await _answer(send, 403, FORBIDDEN_HTML, b"text/html; charset=utf-8")
            return
        if accept is not None and b"version" in accept and scope["path"].startswith("/api/"):
            match = VERSION_RE.search(accept)
            if match is None or match.group(1).strip(b"\"'") not in ALLOWED_VERSIONS:
                await _answer(send, 406, NOT_ACCEPTABLE, b"application/json")
                return
        await self.app(scope, receive, send)


class HeadAsGetMiddleware:
    """Answers HEAD like GET without the body, as upstream does for every readable route.

    FastAPI routes declare GET only; rewriting the method here keeps HEAD out of the OpenAPI schema.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(dict(scope, method="GET"), receive, send_headers_only)
