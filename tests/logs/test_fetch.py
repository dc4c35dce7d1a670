"""The safe log fetcher and fetch-and-parse statuses, against a local HTTP server."""

from __future__ import annotations

import ipaddress
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.logs.conftest import LogServer, gzip_encoded, slow_route
from treeherder.logs.cli import parse_log
from treeherder.logs.fetch import FetchOptions, LogFetchError, UnsafeURLError, fetch_log, is_public_address
from treeherder.logs.remote import FAILED, PARSED, SKIPPED_SIZE, parse_error_summary_log, parse_text_log

LOCAL = FetchOptions(allowlist=("127.0.0.1",), retries=0, timeout=5)


def _collect(blocks) -> bytes:
    return b"".join(blocks)


def test_fixture_log_served_gzip_encoded_parses_like_upstream(log_server: LogServer, shared_fixtures: Path) -> None:
    raw = (shared_fixtures / "logs" / "xpcshell-crash.log.gz").read_bytes()
    log_server.add_body("/xpcshell-crash.log.gz", raw, {"Content-Encoding": "gzip"})
    expected = json.loads((shared_fixtures / "logs" / "xpcshell-crash.logview.json").read_text())
    outcome = parse_text_log(log_server.url("/xpcshell-crash.log.gz"), LOCAL)
    assert outcome.status == PARSED
    assert outcome.result.summary(expected["logurl"]) == expected


def test_gzip_without_content_encoding_is_detected(log_server: LogServer) -> None:
    body, _ = gzip_encoded(b"ok\nabort: broken\n")
    log_server.add_body("/log.gz", body, {"Content-Type": "application/gzip"})
    outcome = parse_text_log(log_server.url("/log.gz"), LOCAL)
    assert [(e.linenumber, e.line) for e in outcome.result.errors] == [(1, "abort: broken")]


def test_user_agent_and_host_header(log_server: LogServer) -> None:
    seen = {}

    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        seen.update(handler.headers.items())
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    log_server.routes["/ua"] = route
    options = FetchOptions(allowlist=("localhost",), retries=0, user_agent="treeherder/example.org")
    fetch_log(log_server.url("/ua", host="localhost"), _collect, options)
    assert seen["User-Agent"] == "treeherder/example.org"
    assert seen["Host"] == f"localhost:{log_server.port}"


def test_too_large_by_content_length_is_skipped(log_server: LogServer) -> None:
    log_server.add_body("/big.log", b"x" * 2000)
    outcome = parse_text_log(log_server.url("/big.log"), FetchOptions(allowlist=("127.0.0.1",), max_bytes=1000))
    assert outcome.status == SKIPPED_SIZE and outcome.result is None


def test_too_large_without_content_length_is_skipped(log_server: LogServer) -> None:
    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(50):
            handler.wfile.write(b"y" * 1000 + b"\n")
        handler.close_connection = True

    log_server.routes["/stream"] = route
    outcome = parse_text_log(log_server.url("/stream"), FetchOptions(allowlist=("127.0.0.1",), max_bytes=10_000))
    assert outcome.status == SKIPPED_SIZE


def test_gzip_bomb_is_skipped(log_server: LogServer) -> None:
    body, headers = gzip_encoded(b"\n" * 3_000_000)
    log_server.add_body("/bomb", body, headers)
    options = FetchOptions(allowlist=("127.0.0.1",), max_decompressed_bytes=1_000_000)
    assert parse_text_log(log_server.url("/bomb"), options).status == SKIPPED_SIZE


def test_timeout_fails_and_is_retryable(log_server: LogServer) -> None:
    log_server.routes["/slow"] = slow_route(5.0)
    started = time.monotonic()
    options = FetchOptions(allowlist=("127.0.0.1",), timeout=0.3, retries=0)
    outcome = parse_text_log(log_server.url("/slow"), options)
    assert outcome.status == FAILED and outcome.retryable
    assert "timed out" in outcome.error
    assert time.monotonic() - started < 3.0  # well before the server would have answered


def test_server_errors_are_retried_with_backoff(log_server: LogServer) -> None:
    def route(handler: BaseHTTPRequestHandler, hit: int) -> None:
        body = b"abort: third time\n" if hit >= 3 else b"busy"
        handler.send_response(200 if hit >= 3 else 503)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    log_server.routes["/flaky"] = route
    delays: list[float] = []
    options = FetchOptions(allowlist=("127.0.0.1",), retries=3, backoff=0.5)
    body = fetch_log(log_server.url("/flaky"), _collect, options, sleep=delays.append)
    assert body == b"abort: third time\n"
    assert delays == [0.5, 1.0]
    assert log_server.hits["/flaky"] == 3


@pytest.mark.parametrize("status", [403, 404])
def test_forbidden_and_missing_are_not_retried(log_server: LogServer, status: int) -> None:
    log_server.add_body("/gone", b"no", status=status)
    with pytest.raises(LogFetchError) as info:
        fetch_log(log_server.url("/gone"), _collect, FetchOptions(allowlist=("127.0.0.1",), retries=3, backoff=0))
    assert info.value.status_code == status and not info.value.retryable
    assert log_server.hits["/gone"] == 1


def test_corrupt_gzip_gives_failed(log_server: LogServer) -> None:
    body = bytearray(gzip_encoded(b"abort: x\n" * 1000)[0])
    body[30:60] = b"\xff" * 30
    log_server.add_body("/corrupt.gz", bytes(body))
    outcome = parse_text_log(log_server.url("/corrupt.gz"), LOCAL)
    assert outcome.status == FAILED and "gzip" in outcome.error and not outcome.retryable


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_refused_without_allowlist(log_server: LogServer, host: str) -> None:
    log_server.add_body("/log", b"abort: x\n")
    outcome = parse_text_log(log_server.url("/log", host=host), FetchOptions(retries=0))
    assert outcome.status == FAILED and "non-public address" in outcome.error
    assert log_server.hits["/log"] == 0


def test_allowlist_by_network(log_server: LogServer) -> None:
    log_server.add_body("/log", b"abort: x\n")
    outcome = parse_text_log(log_server.url("/log"), FetchOptions(allowlist=("127.0.0.0/30",), retries=0))
    assert outcome.status == PARSED


def test_redirect_to_refused_address_is_not_followed(log_server: LogServer) -> None:
    target = f"http://127.0.0.2:{log_server.port}/log"
    log_server.add_body("/redirect", b"", {"Location": target}, status=302)
    log_server.add_body("/log", b"abort: x\n")
    with pytest.raises(UnsafeURLError, match="127.0.0.2"):
        fetch_log(log_server.url("/redirect"), _collect, FetchOptions(allowlist=("127.0.0.1/32",), retries=0))
    assert log_server.hits["/log"] == 0


def test_relative_redirect_is_followed(log_server: LogServer) -> None:
    log_server.add_body("/moved", b"", {"Location": "/log"}, status=301)
    log_server.add_body("/log", b"abort: x\n")
    assert fetch_log(log_server.url("/moved"), _collect, LOCAL) == b"abort: x\n"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/log", "/etc/passwd", "http:///nohost"])
def test_non_http_urls_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        fetch_log(url, _collect, FetchOptions(retries=0))
    assert parse_text_log(url).status == FAILED


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),
        ("2002:0a00:0001::1", False),
        ("8.8.8.8", True),
        ("2606:4700::1", True),
    ],
)
def test_public_address_classification(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_error_summary_over_http(log_server: LogServer, shared_fixtures: Path) -> None:
    body = (shared_fixtures / "logs" / "errorsummary" / "mochitest-browser-chrome_errorsummary.log").read_bytes()
    log_server.add_body("/errorsummary.log", body)
    outcome = parse_error_summary_log(log_server.url("/errorsummary.log"), LOCAL)
    assert outcome.status == PARSED
    assert len(outcome.result.failure_lines) == 5 and len(outcome.result.group_results) == 29


def test_cli_json_matches_fixture(shared_fixtures: Path) -> None:
    path = shared_fixtures / "logs" / "mochitest-end.log.gz"
    expected = json.loads((shared_fixtures / "logs" / "mochitest-end.logview.json").read_text())
    result = CliRunner().invoke(parse_log, [str(path), "--json", "--logurl", expected["logurl"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected


def test_cli_text_and_url(log_server: LogServer) -> None:
    log_server.add_body("/log", b"fine\nmake: *** [all] Error 2\n")
    result = CliRunner().invoke(parse_log, [log_server.url("/log"), "--allow-host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    assert "1 error line(s) in 2 lines" in result.output
    assert "       1  make: *** [all] Error 2" in result.output
    refused = CliRunner().invoke(parse_log, [log_server.url("/log")])
    assert refused.exit_code == 1 and "non-public" in refused.output


def test_https_connects_to_the_checked_address_and_verifies_the_name(tls_log_server) -> None:
    server = tls_log_server.server
    server.add_body("/log", b"abort: over tls\n")
    url = f"https://localhost:{server.port}/log"
    options = FetchOptions(allowlist=("localhost",), retries=0, verify=tls_log_server.client_context)
    assert fetch_log(url, _collect, options) == b"abort: over tls\n"
    # The certificate names localhost only: reaching the same server as 127.0.0.1 must fail verification,
    # which shows the certificate is checked against the URL's host, not the pinned address.
    by_address = FetchOptions(allowlist=("127.0.0.1",), retries=0, verify=tls_log_server.client_context)
    with pytest.raises(LogFetchError):
        fetch_log(f"https://127.0.0.1:{server.port}/log", _collect, by_address)
    assert server.hits["/log"] == 1


def test_next_address_is_tried_when_one_refuses(log_server: LogServer) -> None:
    import socket

    import httpx

    from treeherder.logs.fetch import _send_to_any_address, _Target

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens once the socket is closed
    log_server.add_body("/log", b"abort: x\n")
    target = _Target(
        url=log_server.url("/log"),
        host="127.0.0.1",
        connect_urls=(f"http://127.0.0.1:{closed_port}/log", log_server.url("/log")),
        scheme="http",
    )
    with httpx.Client() as client:
        response = _send_to_any_address(client, target, target.url, FetchOptions())
        assert response.read() == b"abort: x\n"


def test_body_not_matching_its_content_encoding_fails_without_retry(log_server: LogServer) -> None:
    log_server.add_body("/lying", b"abort: plain text\n" * 10, {"Content-Encoding": "gzip"})
    outcome = parse_text_log(log_server.url("/lying"), FetchOptions(allowlist=("127.0.0.1",), retries=3, backoff=0))
    assert outcome.status == FAILED and not outcome.retryable
    assert log_server.hits["/lying"] == 1
