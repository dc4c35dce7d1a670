"""Pulse jobs and pushes through the real ingestion path (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import func, select, update

from treeherder.db import tables as t
from treeherder.pulse.jobs import job_message_to_datum
from treeherder.pulse.pushes import push_message_to_pushes
from treeherder.pulse.store import IngestStore
from treeherder.pulse.taskcluster import task_message_to_jobs

PROJECT = "mozilla-central"


def _job_messages(shared_fixtures):
    messages = json.loads((shared_fixtures / "pulse" / "jobs" / "job_data.json").read_text())
    for message in messages:
        message["origin"]["project"] = PROJECT
    return messages


def _count(database, table, *where):
    with database.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_fixture_job_messages_are_stored_one_job_each(ingestor, database, fixture_pushes, shared_fixtures):
    jobs = [job_message_to_datum(message) for message in _job_messages(shared_fixtures)]
    notified = []
    store = IngestStore(ingestor, on_jobs_stored=lambda repository, stored: notified.append((repository, stored)))
    assert store.store_jobs(jobs) == []
    assert _count(database, t.job) == 26
    [(repository, stored)] = notified
    assert repository == PROJECT and len(stored.job_ids) == 26
    # every job has a live_backing_log waiting for the parser
    assert len(stored.pending_logs) == 25
    with database.read() as conn:
        rows = conn.execute(
            select(t.job.c.guid, t.taskcluster_metadata.c.task_id, t.taskcluster_metadata.c.retry_id).join(
                t.taskcluster_metadata, t.taskcluster_metadata.c.job_id == t.job.c.id
            )
        ).all()
    assert {row.guid: (row.task_id, row.retry_id) for row in rows}["008dcdae-bde0-4834-a967-d13d681037ae/0"] == (
        "AI3Nrr3gSDSpZ9E9aBA3rg",
        0,
    )
    assert {row.task_id for row in rows} == {job.datum["job"]["taskcluster_task_id"] for job in jobs}
    results = {guid: result for guid, result in _rows(database, select(t.job.c.guid, t.job.c.result))}
    assert results["18f2e4ef-c9ba-4b3e-934c-b24555c6b85f/0"] == "testfailed"
    assert results["57caed20-3ae8-455f-86f5-bce3260952d0/0"] == "retry"


def _rows(database, query):
    with database.read() as conn:
        return conn.execute(query).all()


def test_jobs_whose_push_is_missing_are_returned_not_stored(ingestor, database, fixture_pushes, shared_fixtures):
    messages = _job_messages(shared_fixtures)[:3]
    messages[1]["origin"]["revision"] = "f" * 40
    jobs = [job_message_to_datum(message) for message in messages]
    assert IngestStore(ingestor).store_jobs(jobs) == [1]
    assert _count(database, t.job) == 2


def test_jobs_of_unknown_or_inactive_repositories_are_dropped(ingestor, database, fixture_pushes, shared_fixtures):
    messages = _job_messages(shared_fixtures)[:2]
    messages[0]["origin"]["project"] = "no-such-repository"
    jobs = [job_message_to_datum(message) for message in messages]
    store = IngestStore(ingestor)
    assert store.store_jobs(jobs[1:]) == []  # active: stored
    assert _count(database, t.job) == 1
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == PROJECT).values(active_status="onhold"))
        conn.execute(t.job.delete())
    store.refresh_repositories()
    assert store.store_jobs(jobs) == []
    assert _count(database, t.job) == 0


def test_task_jobs_are_stored(ingestor, database, shared_fixtures):
    folder = shared_fixtures / "pulse" / "taskcluster"
    messages = json.loads((folder / "taskcluster_pulse_messages.json").read_text())
    tasks = json.loads((folder / "taskcluster_tasks.json").read_text())
    jobs = [job for message in messages.values() for job in task_message_to_jobs(message, lambda _r, i: tasks[i])]
    autoland = [job for job in jobs if job.project == "autoland"]
    pushes = [
        {
            "revision": revision,
            "author": "a@example.org",
            "push_timestamp": 1561576000,
            "revisions": [{"revision": revision, "author": "A <a@example.org>", "comment": "c"}],
        }
        for revision in {job.datum["revision"] for job in autoland}
    ]
    store = IngestStore(ingestor)
    store.store_pushes([("autoland", push) for push in pushes])
    missing = store.store_jobs(jobs)
    # try has no pushes here, so its jobs wait; mozilla-inbound is on hold, so its job is dropped
    assert sorted(missing) == [i for i, job in enumerate(jobs) if job.project == "try"]
    assert {job.project for job in jobs} == {"autoland", "try", "mozilla-inbound"}
    assert _count(database, t.job) == len(autoland) == 74


def test_pushes_are_stored_with_their_commits(ingestor, database, shared_fixtures):
    folder = shared_fixtures / "pulse" / "pushes"
    message = json.loads((folder / "hg_push.json").read_text())
    reply = json.loads((folder / "hg_push_commits.json").read_text())
    store = IngestStore(ingestor)
    pushes = push_message_to_pushes("exchange/hgpushes/v1", message, store.push_repositories(), lambda _url: reply)
    assert [push.repository for push in pushes] == ["try"]
    store.store_pushes(pushes)
    store.store_pushes(pushes)  # a redelivered message changes nothing
    assert _rows(database, select(t.push.c.revision, t.push.c.author, t.push.c.push_timestamp)) == [
        ("2f77bc4f354d9ba67ea5270b2fc789f4b0521287", "james@hoppipolla.co.uk", 1469830246)
    ]
    assert _count(database, t.commit) == 2


def test_push_repositories_come_from_the_database(ingestor):
    repositories = {repo.name: repo for repo in IngestStore(ingestor).push_repositories()}
    assert repositories["servo-try"].branches[0] == "try"
    assert repositories["servo-try"].url == "https://github.com/servo/servo"
    assert repositories["enterprise-firefox-pr"].accepts_pull_requests
    assert not repositories["android-components"].active


def test_perfherder_references_become_job_logs_and_overlong_urls_are_left_out(
    ingestor, database, fixture_pushes, shared_fixtures
):
    message = _job_messages(shared_fixtures)[0]
    base = "https://tc.example.org/api/queue/v1/task/AI3Nrr3gSDSpZ9E9aBA3rg/runs/0/artifacts/public"
    message["jobInfo"]["links"] = [
        {"url": f"{base}/perfherder-data-raptor.json", "linkText": "perfherder-data-raptor.json", "label": "a"},
        {"url": f"{base}/{'x' * 300}_errorsummary.log", "linkText": "long_errorsummary.log", "label": "a"},
    ]
    IngestStore(ingestor).store_jobs([job_message_to_datum(message)])
    names = {name for (name,) in _rows(database, select(t.job_log.c.name))}
    assert names == {"live_backing_log", "perfherder-data-raptor.json"}
