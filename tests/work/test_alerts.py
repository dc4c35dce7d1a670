"""Alert generation as background work: signatures that got data are analysed by the worker, marks cleared."""

from __future__ import annotations

import json
import random
import time

import pytest
from sqlalchemy import select, update

from tests import factories
from tests.work.conftest import REPO, store_job_with_log, wait_for
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.perf import store as perf_store
from treeherder.work import dispatch
from treeherder.work.embedded import EmbeddedWorker
from treeherder.work.handlers import WorkContext


@pytest.fixture(autouse=True)
def _perf_storage_registered() -> None:
    perf_store.register()


def _store_regressing_series(database, ingestor):
    """40 pushes around 100, then 30 around 110 (one hour apart, ending now), with alerts on for the repository."""
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    rng = random.Random(3)
    values = [100 + rng.gauss(0, 1) for _ in range(40)] + [110 + rng.gauss(0, 1) for _ in range(30)]
    start = int(time.time()) - 3600 * len(values)
    pushes = [factories.push(9000 + i, timestamp=start + 3600 * i) for i in range(len(values))]
    ingestor.store_pushes(REPO, parse_push_collection(pushes))
    jobs = [
        factories.job(
            push["revision"],
            artifacts=[{"type": "json", "name": "performance_data", "blob": {"performance_data": {
                "framework": {"name": "talos"}, "suites": [{"name": "tp5o", "value": value, "subtests": []}]}}}],
        )  # fmt: skip
        for push, value in zip(pushes, values, strict=True)
    ]
    return ingestor.store_jobs(REPO, parse_job_collection(jobs))


def _pending_marks(database) -> list[int]:
    with database.read() as conn:
        return list(conn.execute(select(t.performance_alert_pending.c.signature_id)).scalars())


def _alerted_signatures(database) -> list[int]:
    with database.read() as conn:
        return list(conn.execute(select(t.performance_alert.c.series_signature_id)).scalars())


def test_dispatched_signatures_get_their_alerts(database, ingestor, work_settings) -> None:
    stored = _store_regressing_series(database, ingestor)
    [signature_id] = stored.perf_signature_ids
    assert _pending_marks(database) == [signature_id]
    worker = EmbeddedWorker(WorkContext(work_settings, database)).start()
    try:
        assert dispatch(work_settings, database, stored) == 1
        wait_for(lambda: _pending_marks(database) == [], what="the alert work to be done")
        assert worker.wait_idle(10)
    finally:
        worker.stop()
    assert _alerted_signatures(database) == [signature_id]


def test_marked_signatures_are_swept(database, ingestor, work_settings) -> None:
    stored = _store_regressing_series(database, ingestor)  # never dispatched
    worker = EmbeddedWorker(WorkContext(work_settings, database), sweep_interval=0).start()
    try:
        wait_for(lambda: _pending_marks(database) == [], what="the swept alert work to be done")
    finally:
        worker.stop()
    assert _alerted_signatures(database) == sorted(stored.perf_signature_ids)


def test_a_perfherder_artifact_is_ingested_and_its_signature_analysed(
    database, ingestor, work_settings, log_server
) -> None:
    blob = {"framework": {"name": "talos"}, "suites": [{"name": "tp5o", "value": 12.5, "subtests": []}]}
    log_server.add_body("/perfherder-data.json", json.dumps(blob).encode(), {"Content-Type": "application/json"})
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    stored = store_job_with_log(ingestor, log_server.url("/perfherder-data.json"), name="perfherder-data-talos.json")
    [job_id] = stored.job_ids.values()
    worker = EmbeddedWorker(WorkContext(work_settings, database), sweep_interval=0).start()
    try:
        wait_for(lambda: _datum_values(database, job_id) == [12.5], what="the artifact to be stored")
        assert worker.wait_idle(10)
    finally:
        worker.stop()
    with database.read() as conn:
        status = conn.execute(select(t.job_log.c.status).where(t.job_log.c.job_id == job_id)).scalar_one()
    assert t.LOG_STATUS[status] == "parsed"
    assert _pending_marks(database) == []  # the new signature's alert work ran (one point: nothing to alert on)


def _datum_values(database, job_id: int) -> list[float]:
    with database.read() as conn:
        return list(
            conn.execute(select(t.performance_datum.c.value).where(t.performance_datum.c.job_id == job_id)).scalars()
        )
