"""Abuse: slow clients, oversized headers, SQL injection in every filter, markup in stored strings, CORS for writes,
security headers on every UI page.

Covered elsewhere, not repeated here: body size and JSON nesting limits (tests/api/test_submit.py), throttling
(tests/auth/test_throttle.py), the User-Agent rule (tests/api/test_repository.py), Hawk replay and clock skew
(tests/auth/test_hawk.py), the log fetcher refusing internal addresses and redirects to them (tests/logs/), the UI
sanitising job-info HTML in a real browser (tests/web/test_browser_jobs.py).
"""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.conftest import TEST_REPOSITORY
from tests.reliability.figures import FIGURES
from tests.reliability.processes import Server, service_env
from treeherder.db import tables as t

READ_TIMEOUT = 2


@pytest.fixture
def served(database, tmp_path):
    """`treeherder serve` (the real server command, with its HTTP protocol) and a short REQUEST_READ_TIMEOUT."""
    server = Server(service_env(database.url, tmp_path, REQUEST_READ_TIMEOUT=str(READ_TIMEOUT)), tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _open(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT * 5)


def test_a_client_trickling_its_request_head_is_disconnected(served):
    started = time.monotonic()
    with _open(served) as conn:
        conn.sendall(b"GET /api/repository/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
        assert conn.recv(1024) == b"", "the connection should be closed without an answer"
    assert time.monotonic() - started < READ_TIMEOUT + 3
    FIGURES["abuse: slow clients cut off"] += 1


def test_a_client_trickling_its_body_gets_408(served):
    head = (
        "POST /api/project/mozilla-central/jobs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow/1\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n["
    )
    started = time.monotonic()
    with _open(served) as conn:
        conn.sendall(head.encode())
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert f"Request body not received within {READ_TIMEOUT} seconds.".encode() in answer
    assert time.monotonic() - started < READ_TIMEOUT + 3
    FIGURES["abuse: slow clients cut off"] += 1


def test_the_server_keeps_answering_after_slow_and_oversized_requests(served):
    with _open(served) as conn:
        conn.sendall(b"GET /api/repository/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        answer = conn.recv(1024)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    import httpx

    response = httpx.get(f"{served.url}/api/repository/", headers={"User-Agent": "abuse-tests/1"})
    assert response.status_code == 200


# --- SQL injection in every filter parameter ----------------------------------------------------------------------

INJECTIONS = (
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE job;--",
    "1' UNION SELECT secret FROM credential--",
    "\") OR (\"a\"=\"a",
    "%' OR 1=1 --",
)


def _operations(app) -> list[tuple[str, list[str]]]:
    """Every GET operation with its query parameters, path parameters filled with real values."""
    schema = app.openapi()
    found = []
    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        if operation is None:
            continue
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        concrete = path.replace("{project}", TEST_REPOSITORY)
        for name in ("job_id", "push_id", "repository_id", "summary_id", "alert_id", "note_id", "id", "signature_id",
                     "framework_id", "classification_id", "log_id", "bug_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        found.append((concrete, query))
    return found


def test_sql_injection_in_every_filter_parameter_is_inert(app, client, database, fixture_jobs):
    with database.read() as conn:
        jobs_before = conn.execute(select(func.count()).select_from(t.job)).scalar_one()
    tried = 0
    server_errors = []
    for path, params in _operations(app):
        for name in params or ["id"]:
            for payload in INJECTIONS:
                response = client.get(path, params={name: payload})
                tried += 1
                if response.status_code >= 500:
                    server_errors.append(f"{path}?{name}={payload!r} -> {response.status_code} {response.text[:200]}")
    FIGURES["abuse: SQL injection requests"] += tried
    assert server_errors == []
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.job)).scalar_one() == jobs_before
    # A string filter compares as a value: the always-true condition matches nothing.
    for name in ("job_type_name", "platform", "result", "job_guid"):
        listed = client.get("/api/jobs/", params={"repo": TEST_REPOSITORY, name: "' OR '1'='1"}).json()
        assert listed["results"] == [], name


# --- markup in stored strings -------------------------------------------------------------------------------------

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _strings(value) -> set[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(_strings(item) for item in items)) if items else set()


def test_markup_in_stored_strings_comes_back_as_inert_json(client, database, ingestor):
    from treeherder.ingest.parse import parse_push_collection

    push = factories.push(author=f"{MARKUP}@example.org")
    push["revisions"][0]["comment"] = MARKUP
    ingestor.store_pushes(TEST_REPOSITORY, parse_push_collection([push]))
    job = factories.job(
        push["revision"],
        name=MARKUP,
        job_symbol="<b>",
        group_name=MARKUP,
        machine=MARKUP,
        who=MARKUP,
        reason=MARKUP,
    )
    credential = issue(database, "markup")
    stored = send(client, credential, "POST", f"/api/project/{TEST_REPOSITORY}/jobs/", [job])
    assert stored.response.status_code == 200, stored.response.text
    guid = job["job"]["job_guid"]
    for path in (
        f"/api/project/{TEST_REPOSITORY}/push/",
        f"/api/project/{TEST_REPOSITORY}/jobs/",
        f"/api/project/{TEST_REPOSITORY}/jobs/?job_guid={guid}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("application/json")
        assert MARKUP in _strings(response.json()), path  # stored verbatim, served as data, never as markup
    # The pages never carry the data: they load it as JSON and render it as text (CSP forbids inline script).
    page = client.get(f"/jobs?repo={TEST_REPOSITORY}")
    assert "<script>alert" not in page.text


# --- CORS and security headers ------------------------------------------------------------------------------------


def test_cors_is_open_for_reads_and_closed_for_writes(client):
    origin = {"Origin": "https://elsewhere.example"}
    read = client.get("/api/repository/", headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    preflight_read = client.options(
        "/api/repository/", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight_read.status_code == 200
    for method in ("POST", "PUT", "DELETE"):
        preflight = client.options(
            f"/api/project/{TEST_REPOSITORY}/jobs/",
            headers={**origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization"},
        )
        assert preflight.status_code == 400, method
        assert method not in preflight.headers.get("access-control-allow-methods", "")


UI_PAGES = ("/jobs?repo=autoland", "/logviewer?repo=autoland&job_id=1", "/perf/graphs?repo=autoland", "/perf/alerts", "/docs/")


@pytest.mark.parametrize("path", UI_PAGES)
def test_every_ui_page_forbids_framing_sniffing_and_inline_script(client, path):
    page = client.get(path)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (part.strip() for part in csp.split(";")) if d}
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])
    assert page.headers["x-content-type-options"] == "nosniff"
