"""Notes, bug-job links and batch un-classification: upstream's answers, permissions and side effects."""

from __future__ import annotations

from sqlalchemy import select

from tests.auth.hawk_client import send as hawk_send
from treeherder.auth.credentials import create_credential
from treeherder.auth.users import create_user
from treeherder.db import tables as t

NOTES = "/api/project/mozilla-central/note/"
BUG_MAP = "/api/project/mozilla-central/bug-job-map/"


def classification_of(database, job_id: int) -> int:
    with database.read() as conn:
        return conn.execute(select(t.job.c.failure_classification_id).where(t.job.c.id == job_id)).scalar()


def last_modified(database, job_id: int):
    with database.read() as conn:
        return conn.execute(select(t.job.c.last_modified).where(t.job.c.id == job_id)).scalar()


def test_note_sets_the_class_and_deleting_reverts_to_the_previous_note(signed_in, sheriff, failed_jobs, database):
    http = signed_in("sheriff@example.org")
    job_id = failed_jobs[0]
    before = last_modified(database, job_id)
    first = http.post(NOTES, json={"job_id": job_id, "failure_classification_id": 2, "text": "fixed by abc"})
    assert first.status_code == 200 and first.json() == {"message": f"note stored for job {job_id}"}
    assert classification_of(database, job_id) == 2
    assert last_modified(database, job_id) > before
    http.post(NOTES, json={"job_id": job_id, "failure_classification_id": 4, "text": "bug 123"})
    assert classification_of(database, job_id) == 4
    notes = http.get(NOTES, params={"job_id": job_id}).json()
    assert [(n["failure_classification_id"], n["who"], n["text"]) for n in notes] == [
        (4, "sheriff@example.org", "bug 123"), (2, "sheriff@example.org", "fixed by abc"),
    ]  # fmt: skip
    deleted = http.delete(f"{NOTES}{notes[0]['id']}/")
    assert deleted.json() == {"message": "Note deleted"}
    assert classification_of(database, job_id) == 2
    http.delete(f"{NOTES}{notes[1]['id']}/")
    assert classification_of(database, job_id) == 1
    missing = http.delete(f"{NOTES}{notes[1]['id']}/")
    assert missing.status_code == 404 and missing.json() == f"No note with id: {notes[1]['id']}"


def test_note_for_an_unknown_job_or_without_ids(signed_in, sheriff, failed_jobs):
    http = signed_in("sheriff@example.org")
    unknown = http.post(NOTES, json={"job_id": 999999, "failure_classification_id": 4})
    assert unknown.status_code == 404 and unknown.json() == "No job with id: 999999"
    assert http.post(NOTES, json={"failure_classification_id": 4}).status_code == 400
    other_repo = http.post("/api/project/autoland/note/", json={"job_id": failed_jobs[0], "failure_classification_id": 4})
    assert other_repo.status_code == 404


def test_anonymous_and_non_sheriff_writes_get_upstreams_refusals(client, signed_in, visitor, failed_jobs, database):
    body = {"job_id": failed_jobs[0], "failure_classification_id": 4}
    anonymous = client.post(NOTES, json=body)
    assert anonymous.status_code == 403
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    http = signed_in("visitor@example.org")
    refused = http.post(NOTES, json=body)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You do not have permission to perform this action."}
    refused_map = http.post(BUG_MAP, json={"job_id": failed_jobs[0], "bug_id": 5})
    assert refused_map.status_code == 403
    batch = http.request("DELETE", "/api/project/mozilla-central/classification/", json=[{"id": failed_jobs[0]}])
    assert batch.status_code == 403 and batch.json() == "Must be staff or in sheriffing group"
    assert classification_of(database, failed_jobs[0]) == 1


def test_bug_job_map_create_twice_and_delete(signed_in, sheriff, failed_jobs):
    http = signed_in("sheriff@example.org")
    job_id = failed_jobs[0]
    assert http.post(BUG_MAP, json={"job_id": job_id, "bug_id": 1234567}).json() == {"message": "Bug job map saved"}
    again = http.post(BUG_MAP, json={"job_id": job_id, "bug_id": 1234567})
    assert again.status_code == 200
    assert again.json() == {"message": "Bug job map skipped: mapping already exists"}
    links = http.get(BUG_MAP, params={"job_id": job_id}).json()
    assert [(link["job_id"], link["bug_id"], link["who"]) for link in links] == [(job_id, 1234567, "sheriff@example.org")]
    assert http.post(BUG_MAP, json={"job_id": job_id}).json() == "At least one of bug_id or internal_id is required"
    assert http.delete(f"{BUG_MAP}{job_id}-1234567/").json() == {"message": "Bug job map deleted"}
    assert http.get(BUG_MAP, params={"job_id": job_id}).json() == []


def test_bug_job_map_by_internal_id(signed_in, sheriff, failed_jobs, database):
    from datetime import datetime

    with database.write() as conn:
        internal = conn.execute(
            t.bugscache.insert().values(bugzilla_id=777, summary="Intermittent a.html | boom", modified=datetime(2025, 1, 1))
        ).inserted_primary_key[0]
    http = signed_in("sheriff@example.org")
    job_id = failed_jobs[1]
    assert http.post(BUG_MAP, json={"job_id": job_id, "internal_id": internal, "bug_open": False}).status_code == 200
    [link] = http.get(BUG_MAP, params={"job_id": job_id}).json()
    assert (link["bug_id"], link["bug_internal_id"]) == (777, internal)
    http.delete(f"{BUG_MAP}{job_id}-i{internal}/")
    assert http.get(BUG_MAP, params={"job_id": job_id}).json() == []


def test_batch_unclassification_removes_notes_and_links(signed_in, sheriff, failed_jobs, database):
    http = signed_in("sheriff@example.org")
    for job_id in failed_jobs[:2]:
        http.post(NOTES, json={"job_id": job_id, "failure_classification_id": 4, "text": ""})
        http.post(BUG_MAP, json={"job_id": job_id, "bug_id": 42})
    http.post(NOTES, json={"job_id": failed_jobs[2], "failure_classification_id": 5, "text": "infra"})
    answer = http.request("DELETE", "/api/project/mozilla-central/classification/", json=[{"id": j} for j in failed_jobs[:2]])
    assert answer.json() == {"message": "Notes and bug classifications deleted"}
    assert [classification_of(database, j) for j in failed_jobs] == [1, 1, 5]
    assert http.get(BUG_MAP, params={"job_id": failed_jobs[:2]}).json() == []
    empty = http.request("DELETE", "/api/project/mozilla-central/classification/", json=[])
    assert empty.status_code == 404 and empty.json() == "Must provide job IDs"


def test_owned_hawk_credential_writes_as_its_owner(live_server, failed_jobs, database):
    owner = create_user(database, "robot-owner@example.org", None)
    issued = create_credential(database, "classifier-bot", owner_email=owner.email)
    body = {"job_id": failed_jobs[0], "failure_classification_id": 4, "text": "auto"}
    with live_server.client() as http:
        signed = hawk_send(http, issued, "POST", NOTES, body).response
        assert signed.status_code == 200, signed.text
        notes = http.get(NOTES, params={"job_id": failed_jobs[0]}).json()
        assert notes[0]["who"] == "robot-owner@example.org"
        ownerless = create_credential(database, "ownerless-2")
        refused = hawk_send(http, ownerless, "POST", NOTES, body).response
        assert refused.status_code == 403
        assert refused.json() == {"detail": "You do not have permission to perform this action."}
