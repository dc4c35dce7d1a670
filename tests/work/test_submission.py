"""The whole path: a Hawk-signed job submission with a pending log ends with the log's errors stored.

Embedded (no broker) on both databases; production (PostgreSQL, RabbitMQ, a separate `treeherder worker`).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.conftest import LiveServer
from tests.work.conftest import REPO, LogServer, error_lines, log_status, serve_fixture_log, wait_for
from treeherder.api.app import create_app
from treeherder.db import tables as t


def _submit_failed_job(server: LiveServer, database, log_url: str) -> str:
    """POST a push and a failed job whose log is pending, signed as the clients sign; return the job guid."""
    credential = issue(database)
    pushed = factories.push()
    job = factories.job(
        pushed["revision"],
        result="testfailed",
        log_references=[{"name": "live_backing_log", "url": log_url, "parse_status": "pending"}],
    )
    with server.client() as http:
        for path, items in ((f"/api/project/{REPO}/push/", [pushed]), (f"/api/project/{REPO}/jobs/", [job])):
            response = send(http, credential, "POST", path, items).response
            assert response.status_code == 200, response.text
    return job["job"]["job_guid"]


def _log_of(database, guid: str) -> tuple[int, int]:
    with database.read() as conn:
        return conn.execute(
            select(t.job_log.c.id, t.job.c.id).join(t.job, t.job.c.id == t.job_log.c.job_id).where(t.job.c.guid == guid)
        ).one()


def _expected_errors(shared_fixtures: Path, name: str) -> list[dict]:
    return json.loads((shared_fixtures / "logs" / f"{name}.logview.json").read_text())["errors"]


def _add_bug(database, bugzilla_id: int, summary: str) -> None:
    with database.write() as conn:
        conn.execute(
            insert(t.bugscache),
            {"bugzilla_id": bugzilla_id, "status": "NEW", "resolution": "", "summary": summary, "modified": datetime.now()},
        )


def test_a_submitted_log_is_parsed_in_process_and_its_errors_served(
    database, work_settings, log_server: LogServer, shared_fixtures: Path
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "taskcluster-timeout")
    _add_bug(database, 1500001, "Intermittent automation.py | application timed out after 370 seconds with no output")
    expected = _expected_errors(shared_fixtures, "taskcluster-timeout")
    server = LiveServer(create_app(work_settings, database)).start()
    try:
        guid = _submit_failed_job(server, database, url)
        log_id, job_id = _log_of(database, guid)
        wait_for(lambda: log_status(database, log_id) == "parsed", what="the submitted log to be parsed")
        with server.client() as http:
            errors = http.get(f"/api/project/{REPO}/jobs/{job_id}/text_log_errors/").json()
            suggestions = http.get(f"/api/project/{REPO}/jobs/{job_id}/bug_suggestions/").json()
    finally:
        server.stop()
    assert [(e["line_number"], e["line"]) for e in errors] == [(e["linenumber"], e["line"]) for e in expected]
    assert [item["line_number"] for item in suggestions] == [e["linenumber"] for e in expected]
    assert [bug["id"] for bug in suggestions[0]["bugs"]["open_recent"]] == [1500001]


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_submitted_log_is_parsed_by_a_separate_worker(
    database, settings, broker_url: str, start_worker, log_server: LogServer, shared_fixtures: Path
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "xpcshell-crash")
    worker = start_worker()
    with_broker = dataclasses.replace(settings, broker_url=broker_url)
    server = LiveServer(create_app(with_broker, database)).start()
    try:
        guid = _submit_failed_job(server, database, url)
        log_id, job_id = _log_of(database, guid)
        wait_for(lambda: worker.running() and log_status(database, log_id) == "parsed", timeout=60, what="parsing")
        with server.client() as http:
            errors = http.get(f"/api/project/{REPO}/jobs/{job_id}/text_log_errors/").json()
    finally:
        server.stop()
    expected = _expected_errors(shared_fixtures, "xpcshell-crash")
    assert [(e["line_number"], e["line"]) for e in errors] == [(e["linenumber"], e["line"]) for e in expected]
    assert error_lines(database, job_id) == expected
