"""A local HTTP server (127.0.0.1) that plays a log host for fetcher tests."""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

Route = Callable[[BaseHTTPRequestHandler, int], None]


@dataclass
class LogServer:
    """Routes by path; ``hits`` counts requests per path."""

    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add_body(self, path: str, body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> None:
        def route(handler: BaseHTTPRequestHandler, _: int) -> None:
            handler.send_response(status)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = route


def _make_handler(server: LogServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            server.hits[path] += 1
            route = server.routes.get(path)
            try:
                if route is None:
                    self.send_error(404)
                else:
                    route(self, server.hits[path])
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def log_server(shared_fixtures: Path) -> Iterator[LogServer]:
    state = LogServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def gzip_encoded(body: bytes) -> tuple[bytes, dict[str, str]]:
    """A body sent as upstream's tests do: gzip with ``Content-Encoding: gzip``."""
    return gzip.compress(body), {"Content-Encoding": "gzip", "Content-Type": "text/plain"}


def slow_route(delay: float) -> Route:
    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        time.sleep(delay)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    return route


@dataclass
class TlsLogServer:
    """A TLS log server whose certificate names only ``localhost``; ``client_context`` trusts it."""

    server: LogServer
    client_context: ssl.SSLContext


@pytest.fixture
def tls_log_server(log_server: LogServer, tmp_path: Path) -> Iterator[TlsLogServer]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    state = LogServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield TlsLogServer(state, ssl.create_default_context(cafile=str(cert)))
    finally:
        httpd.shutdown()
        httpd.server_close()
