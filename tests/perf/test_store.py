"""Storing performance objects through the one ingestion path (both databases)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from tests import factories
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.perf import store as perf_store

REPO = "mozilla-central"


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


def count(db, table, *where) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def enable_alerts(db, ingestor, enabled=True):
    with db.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=enabled))
    ingestor.clear_caches()


def perf_job(revision, objects, *, guid=None, tier=1, platform="linux64"):
    machine = {"platform": platform, "os_name": "linux", "architecture": "x86_64"}
    return factories.job(
        revision,
        guid=guid,
        tier=tier,
        machine_platform=machine,
        artifacts=[{"type": "json", "name": "performance_data", "blob": {"performance_data": objects}}],
    )


def submit(ingestor, *datums):
    return ingestor.store_jobs(REPO, parse_job_collection(list(datums)))


def talos(value, subtests=(), **suite):
    return {
        "framework": {"name": "talos"},
        "suites": [
            {"name": "tp5o", "value": value, "subtests": [{"name": n, "value": v} for n, v in subtests], **suite}
        ],
    }


@pytest.fixture
def pushes(ingestor):
    data = [factories.push(1000 + i, timestamp=1_700_000_000 + 3600 * i) for i in range(3)]
    ids = ingestor.store_pushes(REPO, parse_push_collection(data))
    return [(p["revision"], ids[p["revision"]]) for p in data]


def signatures(db):
    with db.read() as conn:
        return {row.test: row for row in conn.execute(select(t.performance_signature))}


def test_fixture_build_metrics_are_stored_with_hashes_and_parents(database, ingestor, pushes, perfherder_objects):
    revision, push_id = pushes[0]
    objects = perfherder_objects["win-aarch64-build"]
    result = submit(ingestor, perf_job(revision, objects, platform="windows2012-aarch64"))
    # the vcs framework is disabled upstream: its 6 series are skipped
    assert count(database, t.performance_signature) == 1 + 1 + 9 + 12
    assert count(database, t.performance_datum) == 23
    with database.read() as conn:
        rows = {(row.suite, row.test): row for row in conn.execute(select(t.performance_signature))}
        build_times = rows[("build times", "")]
        compile_step = rows[("build times", "compile")]
        assert build_times.signature_hash == "64ccf19ba5222f69272dc615991f62533d7be962"
        assert compile_step.signature_hash == "3a30db5f14850b264c24da78ba20611ba174f9b6"
        assert compile_step.parent_signature_id == build_times.id
        assert build_times.has_subtests and not compile_step.has_subtests
        datum = conn.execute(
            select(t.performance_datum).where(t.performance_datum.c.signature_id == compile_step.id)
        ).one()
        assert (datum.push_id, datum.job_id) == (push_id, result.job_ids[next(iter(result.job_ids))])
        assert datum.push_timestamp == 1_700_000_000
    assert result.perf_signature_ids == set()  # alerts are off for the repository


def test_reingesting_keeps_first_value_and_updates_descriptions(database, ingestor, pushes):
    revision, push_id = pushes[0]
    result = submit(ingestor, perf_job(revision, [talos(10.0, unit="ms")], guid="perf-1"))
    # The same job's data again (e.g. its perfherder-data artifact fetched twice), now described differently.
    again = perf_store.JobRef(result.job_ids["perf-1"], push_id)
    with database.write() as conn:
        pending = perf_store.store_performance_objects(
            conn, 1, REPO, True, [(talos(99.0, unit="score", lowerIsBetter=False), again)]
        )
    assert pending == set()  # no new datum
    assert count(database, t.performance_datum) == 1
    with database.read() as conn:
        assert conn.execute(select(t.performance_datum.c.value)).scalar() == 10.0
        sig = conn.execute(select(t.performance_signature)).one()
    assert sig.measurement_unit == "score" and sig.lower_is_better is False


def test_retriggers_keep_one_datum_per_job_and_replicates(database, ingestor, pushes):
    revision, _ = pushes[1]
    obj = talos(10.0, replicates=[9.5, 10.5])
    second = copy.deepcopy(obj)
    second["suites"][0]["value"] = 11.0
    submit(ingestor, perf_job(revision, [obj]), perf_job(revision, [second]))
    assert count(database, t.performance_signature) == 1
    assert count(database, t.performance_datum) == 2
    assert count(database, t.performance_datum_replicate) == 4


def test_last_updated_only_moves_forward(database, ingestor, pushes):
    (old_rev, _), _, (new_rev, _) = pushes
    submit(ingestor, perf_job(new_rev, [talos(1.0)]))
    submit(ingestor, perf_job(old_rev, [talos(2.0)]))
    with database.read() as conn:
        last = conn.execute(select(t.performance_signature.c.last_updated)).scalar()
    assert last == datetime.fromtimestamp(1_700_000_000 + 7200, UTC).replace(tzinfo=None)


def test_invalid_and_unknown_framework_objects_are_skipped(database, ingestor, pushes):
    revision, _ = pushes[0]
    bad = {"framework": {"name": "talos"}, "suites": [{"name": "x"}]}  # no subtests
    unknown = talos(1.0)
    unknown["framework"]["name"] = "no-such-framework"
    submit(ingestor, perf_job(revision, [bad, unknown, talos(3.0)]))
    assert count(database, t.performance_datum) == 1


def test_alert_generation_is_marked_for_new_data(database, ingestor, pushes):
    enable_alerts(database, ingestor)
    revision, _ = pushes[0]
    obj = talos(5.0, subtests=[("a", 1.0), ("b", 2.0)])
    obj["suites"][0]["subtests"][1]["shouldAlert"] = True
    result = submit(ingestor, perf_job(revision, [obj], guid="alerting"))
    sigs = signatures(database)
    assert result.perf_signature_ids == {sigs[""].id, sigs["b"].id}
    assert count(database, t.performance_alert_pending) == 2
    # the same data again is not new: nothing more to do
    assert submit(ingestor, perf_job(revision, [obj], guid="alerting")).perf_signature_ids == set()
    # tier 3 jobs never alert
    revision2, _ = pushes[1]
    assert submit(ingestor, perf_job(revision2, [talos(6.0)], tier=3)).perf_signature_ids == set()
