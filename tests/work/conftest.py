"""Helpers for background-work tests: a local log host, jobs with pending logs, settings that may fetch from it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.logs.conftest import LogServer, gzip_encoded, log_server  # noqa: F401 - re-exported fixture
from treeherder.config import Settings
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor, StoredJobs

REPO = "mozilla-central"


@pytest.fixture
def work_settings(settings: Settings) -> Settings:
    """Embedded background work on, allowed to fetch logs from the loopback log host."""
    return dataclasses.replace(
        settings, broker_url="", embedded_worker=True, worker_concurrency=2, log_fetch_allowlist=("127.0.0.1",)
    )


def serve_fixture_log(log_server: LogServer, shared_fixtures: Path, name: str) -> str:
    """Serve ``logs/<name>.log.gz`` gzip-encoded, as upstream's tests do; return its URL."""
    raw = (shared_fixtures / "logs" / f"{name}.log.gz").read_bytes()
    log_server.add_body(f"/{name}.log.gz", raw, {"Content-Encoding": "gzip", "Content-Type": "text/plain"})
    return log_server.url(f"/{name}.log.gz")


def store_job_with_log(
    ingestor: Ingestor, url: str, *, result: str = "testfailed", name: str = "live_backing_log"
) -> StoredJobs:
    """Store a push and one completed job whose log waits for the parser."""
    push = factories.push()
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    job = factories.job(
        push["revision"], result=result, log_references=[{"name": name, "url": url, "parse_status": "pending"}]
    )
    return ingestor.store_jobs(REPO, parse_job_collection([job]))


def log_status(db: Database, job_log_id: int) -> str:
    with db.read() as conn:
        code = conn.execute(select(t.job_log.c.status).where(t.job_log.c.id == job_log_id)).scalar_one()
    return t.LOG_STATUS[code]


def error_lines(db: Database, job_id: int) -> list[dict]:
    """The stored text log errors of a job in upstream's summary shape."""
    with db.read() as conn:
        rows = conn.execute(
            select(t.text_log_error.c.line_number, t.text_log_error.c.line)
            .where(t.text_log_error.c.job_id == job_id)
            .order_by(t.text_log_error.c.line_number)
        )
        return [{"linenumber": number, "line": line} for number, line in rows]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- a separate `treeherder worker` process on a real broker ------------------------------------------------------

BROKER_URL = os.environ.get("TEST_BROKER_URL")
REQUIRE_SERVICES = os.environ.get("TEST_REQUIRE_SERVICES") == "1"


@pytest.fixture
def broker_url() -> str:
    if not BROKER_URL:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_BROKER_URL is not set but TEST_REQUIRE_SERVICES=1")
        pytest.skip("RabbitMQ not available (set TEST_BROKER_URL, or run `make test`)")
    return BROKER_URL


class WorkerProcess:
    """`treeherder worker` in a child process, with its output kept for failure messages."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "treeherder.cli", "worker", "--pool", "threads", "--concurrency", "2"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def running(self) -> bool:
        """True while the process runs; fails the test with the worker's output once it has died."""
        assert self.process.poll() is None, f"the worker exited early:\n{self.output()}"
        return True

    def wait_ready(self) -> WorkerProcess:
        """Wait until the worker consumes (its start-up sweep is then done)."""
        wait_for(lambda: self.running() and " ready." in self.output(), timeout=60, what="the worker to be ready")
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish the current task, then exit
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
        return self.process.returncode


@pytest.fixture
def worker_env(database, broker_url: str, tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEST_")}
    env.update(
        DATABASE_URL=database.url,
        BROKER_URL=broker_url,
        LOG_FETCH_ALLOWLIST="127.0.0.1",
        TREEHERDER_DATA_DIR=str(tmp_path),
        LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path: Path) -> Iterator:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(worker_env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
