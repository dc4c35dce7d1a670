"""Classification notes and bug-job links: the read endpoints."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests import factories
from treeherder.db import tables as t

NOTE_URL = "/api/project/mozilla-central/note/"
MAP_URL = "/api/project/mozilla-central/bug-job-map/"


@pytest.fixture
def classified(store, database):
    """Two jobs of one push; the first has two notes and a bug, the second one bug."""
    push = factories.push()
    (push_ids, job_ids) = store(
        pushes=[push],
        jobs=[
            factories.job(push["revision"], guid="first", result="testfailed", taskcluster_task_id="AAAAAAAAAAAAAAAAAAAAAA",
                          taskcluster_retry_id=0, submit_timestamp=1000, start_timestamp=1000, end_timestamp=1600),
            factories.job(push["revision"], guid="second", result="busted"),
        ],
    )  # fmt: skip
    first, second = job_ids["first"], job_ids["second"]
    with database.write() as conn:
        notes = (
            conn.execute(
                t.job_note.insert().returning(t.job_note.c.id),
                [
                    {
                        "job_id": first,
                        "failure_classification_id": 2,
                        "who": "a@example.org",
                        "text": "older",
                        "created": datetime(2025, 2, 27, 10, 0, 0),
                    },
                    {
                        "job_id": first,
                        "failure_classification_id": 4,
                        "who": "b@example.org",
                        "text": "bug 123",
                        "created": datetime(2025, 2, 27, 11, 2, 41, 377000),
                    },
                ],  # fmt: skip
            )
            .scalars()
            .all()
        )
        bug = conn.execute(
            t.bugscache.insert()
            .returning(t.bugscache.c.id)
            .values(bugzilla_id=123, summary="Intermittent thing", modified=datetime(2025, 1, 1))
        ).scalar_one()
        conn.execute(
            t.bug_job_map.insert(),
            [
                {
                    "job_id": first,
                    "bug_id": 123,
                    "internal_bug_id": bug,
                    "who": "b@example.org",
                    "created": datetime(2025, 2, 27, 11, 3),
                },
                {
                    "job_id": second,
                    "bug_id": 456,
                    "internal_bug_id": None,
                    "who": "autoclassifier",
                    "created": datetime(2025, 2, 27, 12, 0),
                },
            ],
        )
    return {
        "push": push,
        "push_id": push_ids[push["revision"]],
        "first": first,
        "second": second,
        "notes": notes,
        "bug": bug,
    }


def test_notes_of_a_job_newest_first(client, classified):
    body = client.get(NOTE_URL, params={"job_id": classified["first"]}).json()
    older, newer = classified["notes"]
    assert body == [
        {"id": newer, "job_id": classified["first"], "failure_classification_id": 4, "created": "2025-02-27T11:02:41.377000",
         "who": "b@example.org", "text": "bug 123"},
        {"id": older, "job_id": classified["first"], "failure_classification_id": 2, "created": "2025-02-27T10:00:00",
         "who": "a@example.org", "text": "older"},
    ]  # fmt: skip
    assert client.get(NOTE_URL, params={"job_id": classified["second"]}).json() == []
    assert client.get(f"{NOTE_URL}{older}/").json() == body[1]


def test_note_errors(client, classified):
    missing = client.get(NOTE_URL)
    assert missing.status_code == 400
    assert missing.json() == {"detail": "The job_id parameter is mandatory for this endpoint"}
    bad = client.get(NOTE_URL, params={"job_id": "x"})
    assert bad.status_code == 400 and bad.json() == {"detail": "The job_id parameter must be an integer"}
    unknown_job = client.get(NOTE_URL, params={"job_id": 999999})
    assert unknown_job.status_code == 404 and unknown_job.json() == "No job with id: 999999"
    unknown_note = client.get(f"{NOTE_URL}999999/")
    assert unknown_note.status_code == 404 and unknown_note.json() == "No note with id: 999999"


def test_push_notes(client, classified):
    body = client.get(f"{NOTE_URL}push_notes/", params={"revision": classified["push"]["revision"]}).json()
    assert [row["id"] for row in body] == classified["notes"]
    assert body[1] == {
        "id": classified["notes"][1],
        "job": {"task_id": "AAAAAAAAAAAAAAAAAAAAAA", "job_type_name": "test-linux64/opt-mochitest-1", "result": "testfailed",
                "duration": 10},
        "failure_classification_name": "intermittent",
        "created": "2025-02-27T11:02:41.377000",
        "who": "b@example.org",
        "text": "bug 123",
    }  # fmt: skip
    missing = client.get(f"{NOTE_URL}push_notes/")
    assert missing.status_code == 400
    assert missing.json() == {"detail": "The revision parameter is mandatory for this endpoint"}
    assert client.get(f"{NOTE_URL}push_notes/", params={"revision": "abc"}).json() == "No push with revision: abc"


def test_bug_job_map(client, classified):
    both = client.get(MAP_URL, params=[("job_id", classified["first"]), ("job_id", classified["second"])]).json()
    assert both == [
        {"job_id": classified["first"], "bug_id": 123, "bug_internal_id": classified["bug"], "created": "2025-02-27T11:03:00",
         "who": "b@example.org"},
        {"job_id": classified["second"], "bug_id": 456, "bug_internal_id": None, "created": "2025-02-27T12:00:00",
         "who": "autoclassifier"},
    ]  # fmt: skip
    assert client.get(MAP_URL, params={"job_id": classified["second"]}).json() == both[1:]
    assert client.get(f"{MAP_URL}{classified['first']}-123/").json() == both[0]
    missing = client.get(f"{MAP_URL}{classified['first']}-999/")
    assert missing.status_code == 404 and missing.json() == "Object not found"
    assert client.get(f"{MAP_URL}garbage/").status_code == 404
    bad = client.get(MAP_URL, params={"job_id": "x"})
    assert bad.status_code == 400 and bad.json() == {"message": "Valid job_id required"}
    none = client.get(MAP_URL)
    assert none.status_code == 400 and none.json() == {"message": "At least one job_id is required"}
