"""API fuzzing: schemathesis generates requests for every operation of the app's own OpenAPI schema.

Each operation gets a bounded number of generated requests, sent over loopback to a real server, anonymously and
(for the writes) signed with a valid Hawk credential. The server must never answer 5xx, every 4xx must be JSON with a
``detail``, and every response must match the schema (status, content type, body).
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import threading
from collections.abc import Iterator

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, strategies as st
from sqlalchemy import update
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.auth.hawk_client import issue, sign
from tests.conftest import TEST_REPOSITORY, LiveServer, make_app
from treeherder.db import tables as t

# Generated requests per operation and mode (anonymous, signed). ~55 operations x 2 modes x 2 databases.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
from tests.reliability.figures import FIGURES


@pytest.fixture
def local_logs(tmp_path) -> Iterator[str]:
    """A loopback HTTP server with one small log, so that no fuzzed request reaches for the internet."""
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "live_backing.log").write_text("[task 2025-02-27T10:00:00Z] TEST-UNEXPECTED-FAIL | a.html | boom\n" * 50)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/live_backing.log"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fuzz_server(settings, database, fixture_jobs, local_logs):
    """A server on a database holding the upstream fixture pushes and jobs (their logs served on loopback);
    throttling out of the way."""
    with database.write() as conn:
        conn.execute(update(t.job_log).values(url=local_logs))
    relaxed = dataclasses.replace(
        settings, throttle_jobs=(10**6, 60), throttle_push=(10**6, 60), log_fetch_allowlist=("127.0.0.1",)
    )
    server = LiveServer(make_app(relaxed, database)).start()
    try:
        yield server
    finally:
        server.stop()


def _error_message(response: httpx.Response) -> object:
    """A 4xx body's error message, or None if there is none.

    Most errors are ``{"detail": ...}``; where upstream answers otherwise the exact upstream shape is kept, for its
    clients: a bare JSON string ("Invalid value for offset or count"), field errors (``{"count": ["Enter a
    number."]}``), ``{"message": ...}`` or a list of messages. Each is JSON carrying a non-empty message.
    """
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        return body.get("detail") or body.get("message") or (body if body and all(body.values()) else None)
    return body or None


AUTHENTICATION_FAILURES = ("Hawk authentication failed", "No authorised credentials", "Authentication credentials")


def _is_authentication_failure(response: httpx.Response) -> bool:
    """True if the server did not accept the Hawk signature itself (as opposed to refusing a permission)."""
    return any(text in response.text for text in AUTHENTICATION_FAILURES)


def _send(http: httpx.Client, case: schemathesis.Case, credential, base_url: str) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=base_url)
    request = http.build_request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers={k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "user-agent"},
        json=kwargs.get("json"),
        content=kwargs.get("data") if isinstance(kwargs.get("data"), (bytes, str)) else None,
    )
    if credential is not None:
        content_type = request.headers.get("content-type", "")
        sender = sign(credential, request.method, str(request.url), request.content, content_type)
        request.headers["Authorization"] = sender.request_header
    return http.send(request)


def _fuzz_operation(operation, http: httpx.Client, credential, base_url: str, failures: list[str]) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(), real_project=st.booleans())
    def run(case: schemathesis.Case, real_project: bool) -> None:
        if real_project and "project" in (case.path_parameters or {}):
            # Half the requests name a repository that exists, so they reach the handlers' own checks.
            case.path_parameters["project"] = TEST_REPOSITORY
        mode = "signed" if credential else "anonymous"
        FIGURES["fuzz requests"] += 1
        try:
            response = _send(http, case, credential, base_url)
        except httpx.TransportError as exc:  # the server dropped the connection: an unhandled error
            failures.append(f"{case.method} {case.formatted_path} {case.query} ({mode}) -> {exc!r}")
            return
        where = f"{case.method} {response.request.url} ({mode})"
        if credential is not None and response.status_code in (401, 403) and _is_authentication_failure(response):
            # (A 403 for lack of permission, e.g. sheriffing routes, is right: the credential's user is not staff.)
            failures.append(f"{where} -> {response.status_code}: a validly signed request was refused: {response.text}")
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis raises a group of failures
            lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
            failures.append(f"{where} -> {response.status_code}: {' | '.join(lines[1:4])[:400]}")
            return
        if 400 <= response.status_code < 500 and not _error_message(response):
            failures.append(f"{where} -> {response.status_code} without a JSON error message: {response.text[:200]}")

    run()


def test_every_operation_survives_generated_requests(fuzz_server, database):
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/openapi.json")
    credential = issue(database, "fuzzer")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the schema lost its operations"
    FIGURES["fuzz operations"] = len(operations)
    with fuzz_server.client() as http:
        for operation in operations:
            _fuzz_operation(operation, http, None, fuzz_server.url, failures)
            if operation.method.upper() in WRITE_METHODS:
                _fuzz_operation(operation, http, credential, fuzz_server.url, failures)
    assert not failures, f"{len(failures)} failing requests:\n" + "\n".join(sorted(set(failures))[:60])
