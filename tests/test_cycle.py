"""Data lifecycle: old jobs and their children go in chunks, recent ones stay, pushes are never expired."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import func, select

from tests import factories
from treeherder.cycle import cycle_all, cycle_jobs, cycle_performance_data, cycle_reference_data
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.ingest.parse import parse_job_collection, parse_push_collection

NOW = datetime(2026, 6, 1)
DAY = 86400
NOW_TS = 1_780_272_000  # 2026-06-01


def count(db, table) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _store(ingestor, repo, jobs_by_age: dict[str, int]):
    push = factories.push()
    ingestor.store_pushes(repo, parse_push_collection([push]))
    datums = []
    for guid, age_days in jobs_by_age.items():
        datum = factories.job(
            push["revision"],
            guid=guid,
            result="testfailed",
            submit_timestamp=NOW_TS - age_days * DAY,
            machine=f"machine-{guid}",
            log_references=[{"name": "live_backing_log", "url": f"https://l.example.org/{guid}", "parse_status": "parsed"}],
            taskcluster_task_id="AI3Nrr3gSDSpZ9E9aBA3rg",
            taskcluster_retry_id=0,
            artifacts=[{"type": "json", "name": "Job Info", "blob": {"job_details": [{"title": "t", "value": guid}]}}],
        )
        datums.append(datum)
    return ingestor.store_jobs(repo, parse_job_collection(datums)).job_ids


def test_old_jobs_and_their_children_are_expired_in_chunks(database, ingestor):
    ids = _store(ingestor, "mozilla-central", {f"old{i}": 200 for i in range(7)} | {"recent": 10})
    with database.write() as conn:
        conn.execute(t.job_note.insert().values(job_id=ids["old0"], failure_classification_id=4, who="a@b", text="x", created=NOW))
        conn.execute(t.bug_job_map.insert().values(job_id=ids["old0"], bug_id=1, who="a@b", created=NOW))
        conn.execute(t.text_log_error.insert().values(job_id=ids["old1"], line="boom", line_number=3))
    messages = []
    expired = cycle_jobs(database, chunk_size=3, now=NOW, progress=messages.append)
    assert expired == 7
    assert messages == ["expired 3 jobs", "expired 6 jobs", "expired 7 jobs"]
    with database.read() as conn:
        assert conn.execute(select(t.job.c.guid)).scalars().all() == ["recent"]
    for table in (t.job_log, t.job_detail, t.taskcluster_metadata):
        assert count(database, table) == 1, table.name
    for table in (t.job_note, t.bug_job_map, t.text_log_error):
        assert count(database, table) == 0, table.name
    assert count(database, t.push) == 1  # pushes are never expired


def test_days_and_repository_options(database, ingestor):
    _store(ingestor, "mozilla-central", {"central-old": 50})
    _store(ingestor, "try", {"try-old": 50})
    assert cycle_jobs(database, days=120, now=NOW) == 0
    assert cycle_jobs(database, days=30, repository="try", now=NOW) == 1
    with database.read() as conn:
        assert conn.execute(select(t.job.c.guid)).scalars().all() == ["central-old"]


def test_unused_reference_data_is_removed(database, ingestor):
    _store(ingestor, "mozilla-central", {"old": 200, "recent": 1})
    cycle_jobs(database, now=NOW)
    removed = cycle_reference_data(database)
    assert removed["machine"] == 1  # machine-old
    with database.read() as conn:
        assert conn.execute(select(t.machine.c.name)).scalars().all() == ["machine-recent"]
    # The ingestor cached machine-old's id; a new job on that machine gets the machine anew, not the removed id.
    job_id = _store(ingestor, "mozilla-central", {"old": 1})["old"]
    with database.read() as conn:
        machine = conn.execute(
            select(t.machine.c.name).join(t.job, t.job.c.machine_id == t.machine.c.id).where(t.job.c.id == job_id)
        ).scalar()
    assert machine == "machine-old"


def test_a_removal_of_reference_rows_waits_for_the_batches_in_flight(database, ingestor):
    """Another process's cycle_reference_data cannot remove rows while a batch holds ids it resolved."""
    other_process = Database(database.url)
    try:
        with database.write() as conn:
            ingestor.cache.follow(conn)  # what every batch does first
            removal = threading.Thread(target=cycle_reference_data, args=(other_process,))
            removal.start()
            removal.join(0.5)
            assert removal.is_alive()
        removal.join(30)
        assert not removal.is_alive()
        with database.read() as conn:
            assert conn.execute(select(t.reference_data_generation.c.value)).scalar() == 1
    finally:
        other_process.dispose()


def test_performance_data_retention(database, ingestor):
    ids = _store(ingestor, "try", {"job": 1})
    with database.write() as conn:
        push_id = conn.execute(select(t.push.c.id)).scalar()
        platform_id = conn.execute(select(t.machine_platform.c.id)).scalar()
        option_id = conn.execute(select(t.option_collection.c.id)).scalar()
        sig = conn.execute(
            t.performance_signature.insert()
            .values(signature_hash="a" * 40, repository_id=4, framework_id=1, platform_id=platform_id,
                    option_collection_id=option_id, suite="tp5o", last_updated=NOW)
            .returning(t.performance_signature.c.id)
        ).scalar()
        for age, value in ((800, 1.0), (100, 2.0)):
            conn.execute(
                t.performance_datum.insert().values(
                    repository_id=4, signature_id=sig, job_id=ids["job"], push_id=push_id,
                    push_timestamp=NOW_TS - age * DAY, value=value,
                )
            )
    assert cycle_performance_data(database, now=NOW) == 1  # try keeps two years
    with database.read() as conn:
        assert conn.execute(select(t.performance_datum.c.value)).scalars().all() == [2.0]


def test_cycle_all_reports(database, ingestor):
    _store(ingestor, "mozilla-central", {"old": 400, "older": 500})
    report = cycle_all(database)
    assert report.jobs == 2
    # Both machines are unused; the newest row stays so that SQLite never hands its id to another machine.
    assert report.reference_rows["machine"] == 1
    with database.read() as conn:
        kept = conn.execute(select(t.machine.c.id, t.machine.c.name)).all()
    assert [name for _, name in kept] == ["machine-older"]
    _store(ingestor, "mozilla-central", {"new": 1})
    with database.read() as conn:
        new_id = conn.execute(select(t.machine.c.id).where(t.machine.c.name == "machine-new")).scalar_one()
    assert new_id > kept[0][0]


def test_defaults_follow_upstream(database, ingestor):
    """Jobs go 100 per transaction by default (upstream's --chunk-size), and unused test groups go with them."""
    from treeherder.cycle import DEFAULT_CHUNK

    assert DEFAULT_CHUNK == 100
    _store(ingestor, "mozilla-central", {f"old-{n}": 200 for n in range(250)})
    messages: list[str] = []
    assert cycle_jobs(database, now=NOW, progress=messages.append) == 250
    assert messages == ["expired 100 jobs", "expired 200 jobs", "expired 250 jobs"]
    with database.write() as conn:
        conn.execute(t.test_group.insert().values(name="dom/tests/mochitest.ini"))
    assert cycle_reference_data(database)["test_group"] == 1
    assert count(database, t.test_group) == 0
