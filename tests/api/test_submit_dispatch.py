"""A job submitted over REST with a pending log is parsed by the server's background worker (dispatch, no sweep)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.conftest import LiveServer
from tests.logs.conftest import LogServer, log_server  # noqa: F401 - fixture
from tests.work.conftest import REPO, log_status, serve_fixture_log, wait_for, work_settings  # noqa: F401 - fixture
from treeherder.api.app import create_app
from treeherder.db import tables as t


def test_submitted_pending_log_is_handed_to_the_worker(
    database, work_settings, log_server: LogServer, shared_fixtures: Path  # noqa: F811
) -> None:
    url = serve_fixture_log(log_server, shared_fixtures, "mochitest-crash")
    credential = issue(database)
    # Without the start-up sweep, only work handed over by the submission handler is done.
    server = LiveServer(create_app(work_settings, database)).start()
    try:
        with server.client() as http:
            push = factories.push()
            assert send(http, credential, "POST", f"/api/project/{REPO}/push/", [push]).response.status_code == 200
            job = factories.job(
                push["revision"], guid="with-log", result="testfailed",
                log_references=[{"name": "live_backing_log", "url": url, "parse_status": "pending"}],
            )
            response = send(http, credential, "POST", f"/api/project/{REPO}/jobs/", [job]).response
            assert response.status_code == 200, response.text
            with database.read() as conn:
                log_id = conn.execute(select(t.job_log.c.id)).scalar_one()
            wait_for(lambda: log_status(database, log_id) == "parsed", what="the submitted log to be parsed")
    finally:
        server.stop()
    with database.read() as conn:
        errors = conn.execute(select(t.text_log_error.c.line)).scalars().all()
    assert errors and all(line.strip() for line in errors)
    assert log_server.hits["/mochitest-crash.log.gz"] == 1
