"""Perfherder JSON artifacts fetched from a local HTTP server, and log-derived perf data."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from tests import factories
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.logs.fetch import FetchOptions
from treeherder.perf.ingest import (
    MAX_ARTIFACT_BYTES,
    ingest_perfherder_data,
    is_perfherder_data_log,
    pending_perfherder_data_logs,
    store_log_performance_data,
)

REPO = "mozilla-central"
OBJECT = {"framework": {"name": "browsertime"}, "suites": [{"name": "speedometer3", "value": 27.3, "subtests": []}]}


@pytest.fixture
def artifact_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    bodies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", bodies
    finally:
        httpd.shutdown()
        httpd.server_close()


OPTIONS = FetchOptions(allowlist=("127.0.0.1",), max_bytes=MAX_ARTIFACT_BYTES, retries=0, timeout=5)


def _job_with_logs(ingestor, names_urls):
    push = factories.push(9100)
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    refs = [{"name": name, "url": url, "parse_status": "pending"} for name, url in names_urls]
    result = ingestor.store_jobs(REPO, parse_job_collection([factories.job(push["revision"], log_references=refs)]))
    return next(iter(result.job_ids.values()))


def _log_ids(db) -> dict[str, int]:
    with db.read() as conn:
        return {name: i for i, name in conn.execute(select(t.job_log.c.id, t.job_log.c.name))}


def _status(db, job_log_id) -> str:
    with db.read() as conn:
        return t.LOG_STATUS[conn.execute(select(t.job_log.c.status).where(t.job_log.c.id == job_log_id)).scalar()]


def test_names_that_are_perfherder_artifacts():
    assert is_perfherder_data_log("perfherder-data-raptor.json")
    assert is_perfherder_data_log("perfherder_data_browsertime.json")
    assert not is_perfherder_data_log("live_backing_log")


def test_artifacts_are_fetched_validated_and_stored(database, ingestor, artifact_server):
    base, bodies = artifact_server
    bodies["/good.json"] = json.dumps(OBJECT).encode()
    bodies["/invalid.json"] = json.dumps({"framework": {"name": "browsertime"}}).encode()
    bodies["/big.json"] = b" " * (MAX_ARTIFACT_BYTES + 1)
    _job_with_logs(
        ingestor,
        [
            ("perfherder-data-raptor.json", f"{base}/good.json"),
            ("perfherder-data-bad.json", f"{base}/invalid.json"),
            ("perfherder-data-big.json", f"{base}/big.json"),
            ("perfherder-data-gone.json", f"{base}/missing.json"),
            ("live_backing_log", f"{base}/log.txt"),
        ],
    )
    ids = _log_ids(database)
    assert sorted(pending_perfherder_data_logs(database)) == sorted(
        v for k, v in ids.items() if k != "live_backing_log"
    )
    good = ingest_perfherder_data(database, ids["perfherder-data-raptor.json"], OPTIONS)
    assert good.status == "parsed"
    assert ingest_perfherder_data(database, ids["perfherder-data-bad.json"], OPTIONS).status == "failed"
    assert ingest_perfherder_data(database, ids["perfherder-data-big.json"], OPTIONS).status == "skipped-size"
    assert ingest_perfherder_data(database, ids["perfherder-data-gone.json"], OPTIONS).status == "failed"
    assert ingest_perfherder_data(database, ids["live_backing_log"], OPTIONS).status == "not-parsed"
    assert _status(database, ids["perfherder-data-raptor.json"]) == "parsed"
    assert _status(database, ids["perfherder-data-big.json"]) == "skipped-size"
    with database.read() as conn:
        assert conn.execute(select(t.performance_datum.c.value)).scalars().all() == [27.3]
    # done once: a second run leaves it alone
    assert ingest_perfherder_data(database, ids["perfherder-data-raptor.json"], OPTIONS).status == "not-parsed"


def test_log_data_is_dropped_unless_allow_listed(database, ingestor):
    job_id = _job_with_logs(ingestor, [])
    assert store_log_performance_data(database, job_id, [OBJECT]) == set()
    store_log_performance_data(database, job_id, [OBJECT], allowed={("browsertime", "speedometer3")})
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.performance_datum)).scalar() == 1
