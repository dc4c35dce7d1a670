"""Production background work: PostgreSQL, RabbitMQ and a separate `treeherder worker` process."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.work.conftest import LogServer, error_lines, log_status, serve_fixture_log, store_job_with_log, wait_for
from treeherder import cli
from treeherder.work import dispatch

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


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_separate_worker_parses_swept_and_dispatched_logs(
    database, ingestor, settings, broker_url, start_worker, log_server: LogServer, shared_fixtures: Path
) -> None:
    # Stored before any worker runs and never dispatched: the worker's start-up sweep must find it.
    swept = store_job_with_log(ingestor, serve_fixture_log(log_server, shared_fixtures, "reftest-fail"))
    worker = start_worker()
    # Stored while the worker runs, and dispatched through the broker as the ingestion callers do.
    dispatched = store_job_with_log(
        ingestor, serve_fixture_log(log_server, shared_fixtures, "taskcluster-only"), result="busted"
    )
    assert dispatch(dataclasses.replace(settings, broker_url=broker_url), database, dispatched) == 1

    for stored, name in ((swept, "reftest-fail"), (dispatched, "taskcluster-only")):
        [(log_id, job_id, _name, _result)] = stored.pending_logs
        wait_for(
            lambda: worker.running() and log_status(database, log_id) == "parsed", timeout=60, what=f"{name} parsed"
        )
        expected = json.loads((shared_fixtures / "logs" / f"{name}.logview.json").read_text())["errors"]
        assert error_lines(database, job_id) == expected
    assert worker.stop() == 0, worker.output()


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_missing_log_fails_once_on_the_worker(
    database, ingestor, settings, broker_url, start_worker, log_server: LogServer
) -> None:
    worker = start_worker().wait_ready()  # else its sweep may queue the log a second time
    stored = store_job_with_log(ingestor, log_server.url("/missing.log.gz"))
    assert dispatch(dataclasses.replace(settings, broker_url=broker_url), database, stored) == 1
    [(log_id, _job_id, _name, _result)] = stored.pending_logs
    wait_for(lambda: worker.running() and log_status(database, log_id) == "failed", timeout=60, what="a failed log")
    assert log_server.hits["/missing.log.gz"] == 1  # 404: no retry


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_unreachable_broker_leaves_the_work_pending(database, ingestor, settings, log_server: LogServer) -> None:
    from treeherder import tasks

    stored = store_job_with_log(ingestor, log_server.url("/later.log.gz"))
    unreachable = dataclasses.replace(settings, broker_url="amqp://guest:guest@127.0.0.1:9//")
    try:
        assert dispatch(unreachable, database, stored) == 0  # no exception for the caller: the batch is stored
    finally:
        tasks.celery_app.pool.force_close_all()
    [(log_id, _job_id, _name, _result)] = stored.pending_logs
    assert log_status(database, log_id) == "pending"


def test_the_worker_command_needs_a_broker(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BROKER_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'th.db'}")
    cli.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.main, ["worker"])
    finally:
        cli.get_settings.cache_clear()
    assert result.exit_code == 1
    assert "BROKER_URL is empty" in result.output
