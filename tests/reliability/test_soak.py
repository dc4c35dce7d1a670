"""Concurrency soak: processes submit jobs over REST and Pulse while others read, on SQLite and PostgreSQL.

A real `treeherder serve` and a real `treeherder pulse-listen` share one database. Three poster processes send job
collections (each job pending, running, then completed, some with a stale update afterwards) under a tight
per-credential throttle; two publisher processes send the same life cycle as Pulse messages; two reader processes
list pushes and jobs the whole time. At the end every submitted job is present exactly once, in its final state, and
no request failed except by throttling (which the posters wait out, as a client should).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.auth.hawk_client import issue
from tests.conftest import REQUIRE_SERVICES
from tests.reliability import load
from tests.reliability.figures import FIGURES
from tests.reliability.processes import Process, Server, service_env
from treeherder.db import tables as t
from treeherder.db.engine import Database

POSTERS, JOBS_PER_POSTER, BATCH = 3, 60, 10
PUBLISHERS, JOBS_PER_PUBLISHER = 2, 40
READERS = 2
DEADLINE_SECONDS = 120


def broker_url() -> str:
    url = os.environ.get("TEST_BROKER_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_BROKER_URL is not set but TEST_REQUIRE_SERVICES=1")
        pytest.skip("RabbitMQ not available (set TEST_BROKER_URL, or run `make test`)")
    return url


def stored_jobs(database: Database) -> dict[str, tuple[str, str, int]]:
    """guid -> (state, result, copies) of every job stored."""
    j = t.job
    query = select(j.c.guid, func.min(j.c.state), func.min(j.c.result), func.count()).group_by(j.c.guid)
    with database.read() as conn:
        return {guid: (state, result, copies) for guid, state, result, copies in conn.execute(query)}


def wait_for(predicate, timeout: float, what) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


def submit_pushes(server: Server, database: Database, count: int) -> list[str]:
    pushes = [factories.push() for _ in range(count)]
    credential = issue(database, "soak-pushes")
    poster = load.SignedPoster(server.url, load.Credential(credential.client_id, credential.secret))
    assert poster.post(load.PUSH_PATH, pushes), poster.failures
    poster.close()
    return [push["revision"] for push in pushes]


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_concurrent_rest_and_pulse_submissions_with_readers_lose_nothing(database, tmp_path, shared_fixtures):
    broker = broker_url()
    exchange = f"exchange/soak-{uuid.uuid4().hex[:8]}/v1/jobs"
    env = service_env(database.url, tmp_path, THROTTLE_JOBS="10/second")
    server = Server(env, tmp_path / "server.log").start()
    listener = Process(
        ["pulse-listen", "--kind", "jobs", "--batch-wait", "0.1", "--queue-prefix", f"queue/soak-{uuid.uuid4().hex[:8]}"],
        {**env, "PULSE_URL": broker, "PULSE_JOB_SOURCES": f"{exchange}.#"},
        tmp_path / "listener.log",
    ).start()
    stop_file = tmp_path / "stop-reading"
    try:
        revisions = submit_pushes(server, database, 4)
        credentials = [issue(database, f"soak-{n}") for n in range(POSTERS)]
        rest_guids = [[str(uuid.uuid4()) for _ in range(JOBS_PER_POSTER)] for _ in range(POSTERS)]
        pulse_guids = [[f"{uuid.uuid4()}/0" for _ in range(JOBS_PER_PUBLISHER)] for _ in range(PUBLISHERS)]
        template = str(shared_fixtures / "pulse" / "jobs" / "job_data.json")
        time.sleep(1)  # the listener declares its queue and binding before anything is published

        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(POSTERS + PUBLISHERS + READERS) as pool:
            deadline = time.monotonic() + DEADLINE_SECONDS
            readers = [
                pool.apply_async(load.read_until, (server.url, time.time() + DEADLINE_SECONDS, str(stop_file)))
                for _ in range(READERS)
            ]
            posters = [
                pool.apply_async(
                    load.post_jobs,
                    (server.url, load.Credential(c.client_id, c.secret), revisions, guids, BATCH, 0.0),
                )
                for c, guids in zip(credentials, rest_guids)
            ]
            publishers = [
                pool.apply_async(load.publish_jobs, (broker, exchange, template, revisions, ids)) for ids in pulse_guids
            ]
            post_results = [p.get(timeout=max(1, deadline - time.monotonic())) for p in posters]
            publish_results = [p.get(timeout=max(1, deadline - time.monotonic())) for p in publishers]
            expected_final = {g: ("completed", load.final_result(g)) for guids in rest_guids for g in guids}
            expected_final.update({g: ("completed", "success") for ids in pulse_guids for g in ids})
            # The listener stores Pulse messages as they come; wait until it has caught up.
            pulse_done = lambda: all(  # noqa: E731
                stored_jobs(database).get(g, ("", ""))[:2] == ("completed", "success") for ids in pulse_guids for g in ids
            )
            wait_for(pulse_done, 60, lambda: f"the Pulse listener to store every job:\n{listener.output()[-3000:]}")
            stop_file.touch()
            read_results = [r.get(timeout=60) for r in readers]
    finally:
        stop_file.touch()
        listener.stop()
        server.stop()

    stored = stored_jobs(database)
    lost = sorted(set(expected_final) - set(stored))
    duplicated = sorted(g for g, (_, _, copies) in stored.items() if copies != 1)
    wrong_state = sorted(g for g, want in expected_final.items() if g in stored and stored[g][:2] != want)
    submitted = len(expected_final)
    FIGURES[f"soak jobs submitted [{database.dialect}]"] += submitted
    FIGURES[f"soak jobs lost [{database.dialect}]"] += len(lost)
    FIGURES[f"soak REST requests [{database.dialect}]"] += sum(r["requests"] for r in post_results)
    FIGURES[f"soak requests throttled [{database.dialect}]"] += sum(r["throttled"] for r in post_results)
    FIGURES[f"soak reads [{database.dialect}]"] += sum(r["requests"] for r in read_results)
    FIGURES[f"soak Pulse messages [{database.dialect}]"] += sum(r["published"] for r in publish_results)

    assert [r["failures"] for r in post_results if r["failed"]] == []
    assert [r["failures"] for r in read_results if r["failed"]] == []
    assert all(r["ok"] > 0 for r in read_results), "the readers did not get to read during the soak"
    assert lost == [] and duplicated == [] and wrong_state == []
    assert set(stored) == set(expected_final), "jobs nobody submitted were stored"
    assert sum(r["published"] for r in publish_results) == PUBLISHERS * JOBS_PER_PUBLISHER * len(load.STATES)
    for process in (server, listener):
        output = process.output()
        assert "database is locked" not in output and "Traceback" not in output, output[-3000:]
