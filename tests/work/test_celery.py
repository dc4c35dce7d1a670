"""Production background work: PostgreSQL, RabbitMQ and a separate `treeherder worker` process."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import kombu
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from tests.work.conftest import LogServer, error_lines, log_status, serve_fixture_log, store_job_with_log, wait_for
from treeherder import cli
from treeherder.db import tables as t
from treeherder.work import dispatch, prepare_dispatch
from treeherder.work.routing import LOG_PARSER_QUEUE


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


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_perfherder_artifact_is_ingested_by_the_worker(
    database, ingestor, broker_url, start_worker, log_server: LogServer
) -> None:
    blob = {"framework": {"name": "talos"}, "suites": [{"name": "tp5o", "value": 7.25, "subtests": []}]}
    log_server.add_body("/perfherder-data.json", json.dumps(blob).encode(), {"Content-Type": "application/json"})
    with database.write() as conn:
        conn.execute(
            update(t.repository).where(t.repository.c.name == "mozilla-central").values(performance_alerts_enabled=True)
        )
    ingestor.clear_caches()
    stored = store_job_with_log(ingestor, log_server.url("/perfherder-data.json"), name="perfherder-data-talos.json")
    [job_id] = stored.job_ids.values()
    worker = start_worker()  # its start-up sweep queues the artifact on perf_ingest

    def stored_and_analysed() -> bool:
        with database.read() as conn:
            values = conn.execute(select(t.performance_datum.c.value).where(t.performance_datum.c.job_id == job_id))
            marks = conn.execute(select(t.performance_alert_pending.c.signature_id)).all()
        return worker.running() and list(values.scalars()) == [7.25] and marks == []

    wait_for(stored_and_analysed, timeout=60, what="the artifact to be stored and its signature analysed")


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_prepare_dispatch_declares_the_work_queues(settings, broker_url) -> None:
    with kombu.Connection(broker_url) as connection, connection.channel() as channel:
        channel.queue_delete(LOG_PARSER_QUEUE)
    # A broker URL of its own gives a fresh connection pool, which has declared nothing yet.
    assert broker_url.endswith("//")
    fresh = dataclasses.replace(settings, broker_url=broker_url.removesuffix("//") + "/%2F")
    prepare_dispatch(fresh)
    with kombu.Connection(broker_url) as connection, connection.channel() as channel:
        assert channel.queue_declare(LOG_PARSER_QUEUE, passive=True).queue == LOG_PARSER_QUEUE


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_prepare_dispatch_does_not_fail_when_the_broker_is_down(settings, caplog) -> None:
    unreachable = dataclasses.replace(settings, broker_url="amqp://guest:guest@127.0.0.1:9//")
    prepare_dispatch(unreachable)  # the listener starts anyway; dispatch connects later
    assert "could not connect to the broker" in caplog.text


@pytest.mark.rabbitmq
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_dispatch_routes_failure_logs_by_the_repository_the_caller_names(database, settings, broker_url) -> None:
    @dataclasses.dataclass
    class Work:
        pending_logs: list[tuple[int, int, str, str]]
        perf_signature_ids: set[int]

    # Job 999999 is not stored: its repository can only come from the caller, else it counts as unsheriffed.
    work = Work([(123456789, 999999, "live_backing_log", "testfailed")], set())
    with_broker = dataclasses.replace(settings, broker_url=broker_url)
    queues = ("log_parser_fail_raw_sheriffed", "log_parser_fail_raw_unsheriffed")
    prepare_dispatch(with_broker)
    with kombu.Connection(broker_url) as connection, connection.channel() as channel:
        for queue in queues:
            channel.queue_purge(queue)
        assert dispatch(with_broker, database, work, repository="autoland") == 1
        assert dispatch(with_broker, database, work) == 1

        def depths() -> list[int]:
            return [channel.queue_declare(queue, passive=True).message_count for queue in queues]

        try:
            # Published on another connection: the broker may not have queued them yet.
            wait_for(lambda: depths() == [1, 1], timeout=10, what="one task on each failure queue")
        finally:
            for queue in queues:
                channel.queue_purge(queue)
