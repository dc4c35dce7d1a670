"""The embedded worker end to end: jobs with pending logs on a local log host end with their errors stored."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.conftest import LiveServer
from tests.work.conftest import (
    LogServer,
    error_lines,
    log_status,
    serve_fixture_log,
    store_job_with_log,
    wait_for,
)
from treeherder.api.app import create_app
from treeherder.logs.bugsuggest import bug_search
from treeherder.logs.fetch import FetchOptions
from treeherder.logs.service import LogParsingService
from treeherder.work import dispatch, running_worker, start_embedded_worker
from treeherder.work.embedded import EmbeddedWorker
from treeherder.work.handlers import WorkContext


def _expected_errors(shared_fixtures: Path, name: str) -> list[dict]:
    return json.loads((shared_fixtures / "logs" / f"{name}.logview.json").read_text())["errors"]


def _only_log(stored) -> tuple[int, int]:
    [(log_id, job_id, _name, _result)] = stored.pending_logs
    return log_id, job_id


def test_a_dispatched_log_is_parsed_by_the_servers_worker(
    database, ingestor, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "mochitest-crash")
    server = LiveServer(create_app(work_settings, database)).start()
    try:
        stored = store_job_with_log(ingestor, url)
        log_id, job_id = _only_log(stored)
        assert log_status(database, log_id) == "pending"
        assert server.app.state.dispatch(stored) == 1
        wait_for(lambda: log_status(database, log_id) == "parsed", what="the log to be parsed")
    finally:
        server.stop()
    errors = error_lines(database, job_id)
    assert errors == _expected_errors(shared_fixtures, "mochitest-crash")
    # Bug suggestions are searched with terms derived from the stored lines.
    assert any(bug_search(error["line"]).search_terms for error in errors)
    assert log_server.hits["/mochitest-crash.log.gz"] == 1
    assert running_worker(database) is None  # stopped with the server


def test_the_server_sweeps_work_stored_while_it_was_not_running(
    database, ingestor, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "reftest-fail")
    log_id, job_id = _only_log(store_job_with_log(ingestor, url))  # e.g. by `treeherder load`: nothing dispatched

    quiet = LiveServer(create_app(work_settings, database)).start()
    try:
        assert running_worker(database).wait_idle(5)
        assert log_status(database, log_id) == "pending"  # without the sweep only dispatched work runs
    finally:
        quiet.stop()

    server = LiveServer(create_app(work_settings, database, sweep_pending_work=True)).start()
    try:
        wait_for(lambda: log_status(database, log_id) == "parsed", what="the swept log to be parsed")
    finally:
        server.stop()
    assert error_lines(database, job_id) == _expected_errors(shared_fixtures, "reftest-fail")


def test_the_periodic_sweep_picks_up_work_stored_by_another_process(
    database, ingestor, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "mochitest-fail")
    worker = EmbeddedWorker(WorkContext(work_settings, database), sweep_interval=0.2).start()
    try:
        log_id, _job_id = _only_log(store_job_with_log(ingestor, url))
        wait_for(lambda: log_status(database, log_id) == "parsed", what="the next sweep to find the log")
    finally:
        worker.stop()


def _flaky_route(failures: int, body: bytes, headers: dict[str, str]):
    """Answer 503 to the first *failures* requests, then the log."""

    def route(handler: BaseHTTPRequestHandler, hit: int) -> None:
        if hit <= failures:
            handler.send_response(503)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def _worker_without_fetch_retries(settings, database, *, retry_delay) -> EmbeddedWorker:
    ctx = WorkContext(settings, database)
    # The fetcher's own quick retries would hide the task-level retries this test is about.
    ctx.logs = LogParsingService(database, FetchOptions(allowlist=("127.0.0.1",), retries=0, timeout=5))
    return EmbeddedWorker(ctx, concurrency=1, retry_delay=retry_delay)


def test_a_server_error_is_retried_with_backoff(
    database, ingestor, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    raw = (shared_fixtures / "logs" / "mochitest-fail.log.gz").read_bytes()
    log_server.routes["/flaky.log.gz"] = _flaky_route(2, raw, {"Content-Encoding": "gzip"})
    delays: list[int] = []

    def record_delay(retries: int) -> float:
        delays.append(retries)
        return 0.05

    worker = _worker_without_fetch_retries(work_settings, database, retry_delay=record_delay).start()
    try:
        stored = store_job_with_log(ingestor, log_server.url("/flaky.log.gz"))
        log_id, job_id = _only_log(stored)
        assert dispatch(work_settings, database, stored) == 1
        wait_for(lambda: log_status(database, log_id) == "parsed", what="the retried log to be parsed")
    finally:
        worker.stop()
    assert delays == [0, 1]  # two failures, each followed by a retry with a growing retry count
    assert log_server.hits["/flaky.log.gz"] == 3
    assert error_lines(database, job_id) == _expected_errors(shared_fixtures, "mochitest-fail")


def test_a_missing_log_fails_without_retries(database, ingestor, work_settings, log_server: LogServer) -> None:
    worker = _worker_without_fetch_retries(work_settings, database, retry_delay=lambda n: 0.0).start()
    try:
        stored = store_job_with_log(ingestor, log_server.url("/gone.log.gz"))
        log_id, _job_id = _only_log(stored)
        dispatch(work_settings, database, stored)
        wait_for(lambda: log_status(database, log_id) == "failed", what="the log to fail")
        assert worker.wait_idle(5)
    finally:
        worker.stop()
    assert log_server.hits["/gone.log.gz"] == 1
    assert worker.queue.waiting_retries == 0


def test_stopping_leaves_logs_waiting_for_a_retry_pending_and_returns_promptly(
    database, ingestor, work_settings, log_server: LogServer
) -> None:
    log_server.routes["/down.log.gz"] = _flaky_route(1000, b"", {})
    worker = _worker_without_fetch_retries(work_settings, database, retry_delay=lambda n: 3600.0).start()
    stored = store_job_with_log(ingestor, log_server.url("/down.log.gz"))
    log_id, _job_id = _only_log(stored)
    dispatch(work_settings, database, stored)
    wait_for(lambda: worker.queue.waiting_retries == 1, what="the retry to be scheduled")
    assert log_status(database, log_id) == "failed"  # as upstream while a retry waits
    threads = list(worker._threads)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 2
    assert not any(thread.is_alive() for thread in threads)
    # The retry would have been lost with the process: the next start's sweep must find the log again.
    assert log_status(database, log_id) == "pending"


def test_failed_jobs_logs_are_parsed_before_successful_ones(
    database, ingestor, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    order: list[str] = []

    def recording_route(name: str, raw: bytes):
        def route(handler: BaseHTTPRequestHandler, _hit: int) -> None:
            order.append(name)
            handler.send_response(200)
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw)

        return route

    raw = (shared_fixtures / "logs" / "mochitest-fail.log.gz").read_bytes()
    batches = []
    for n, result in enumerate(["success", "success", "testfailed", "success", "busted"]):
        log_server.routes[f"/{n}.log.gz"] = recording_route(result, raw)
        batches.append(store_job_with_log(ingestor, log_server.url(f"/{n}.log.gz"), result=result))
    # One thread, and the work queued before it starts: the order is the queue's, not the arrival order.
    worker = EmbeddedWorker(WorkContext(work_settings, database), concurrency=1)
    for stored in batches:
        worker.submit_logs((log_id, name, result) for log_id, _job, name, result in stored.pending_logs)
    worker.start()
    try:
        assert worker.wait_idle(30)
    finally:
        worker.stop()
    assert order == ["testfailed", "busted", "success", "success", "success"]


def test_no_embedded_worker_with_a_broker_or_when_switched_off(database, work_settings) -> None:
    import dataclasses

    assert start_embedded_worker(dataclasses.replace(work_settings, embedded_worker=False), database, sweep=True) is None
    with_broker = dataclasses.replace(work_settings, broker_url="amqp://127.0.0.1:1//")
    assert start_embedded_worker(with_broker, database, sweep=True) is None
