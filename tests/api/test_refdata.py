"""Reference-data endpoints: option collections, failure classifications, machine platforms, user, Taskcluster metadata."""

from __future__ import annotations

import hashlib

from tests import factories


def test_option_collection_hash(client, store):
    push = factories.push()
    store(
        pushes=[push],
        jobs=[
            factories.job(push["revision"], option_collection={"opt": True}),
            factories.job(push["revision"], option_collection={"debug": True, "asan": True}),
        ],
    )
    body = client.get("/api/optioncollectionhash/").json()
    # upstream's hash of an option set: SHA-1 of the sorted names concatenated
    assert body == [
        {"option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e", "options": [{"name": "opt"}]},
        {
            "option_collection_hash": hashlib.sha1(b"asandebug").hexdigest(),
            "options": [{"name": "asan"}, {"name": "debug"}],
        },
    ]


def test_failure_classifications(client, shared_fixtures):
    body = client.get("/api/failureclassification/").json()
    assert body == [
        {"id": 1, "name": "not classified"},
        {"id": 2, "name": "fixed by commit"},
        {"id": 3, "name": "expected fail"},
        {"id": 4, "name": "intermittent"},
        {"id": 5, "name": "infra"},
        {"id": 6, "name": "new failure not classified"},
        {"id": 7, "name": "autoclassified intermittent"},
        {"id": 8, "name": "intermittent needs bugid"},
    ]
    assert client.get("/api/failureclassification/4/").json() == {"id": 4, "name": "intermittent"}
    missing = client.get("/api/failureclassification/99/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No FailureClassification matches the given query."}


def test_hidden_classification_is_not_listed(client, database):
    from treeherder.db import tables as t

    with database.write() as conn:
        conn.execute(t.failure_classification.insert().values(id=9, name="intermittent needs filing"))
    names = [row["name"] for row in client.get("/api/failureclassification/").json()]
    assert "intermittent needs filing" not in names and len(names) == 8
    assert client.get("/api/failureclassification/9/").status_code == 404


def test_machine_platforms(client, fixture_jobs, job_fixture):
    body = client.get("/api/machineplatforms/").json()
    assert {row["platform"] for row in body} == {line["job"]["machine_platform"]["platform"] for line in job_fixture}
    assert all(set(row) == {"id", "platform"} for row in body)
    assert [row["id"] for row in body] == sorted(row["id"] for row in body)


def test_anonymous_user_is_an_empty_list(client):
    assert client.get("/api/user/").json() == []


def test_taskcluster_metadata(client, store):
    push = factories.push()
    (_, job_ids) = store(
        pushes=[push],
        jobs=[
            factories.job(
                push["revision"], guid="a", taskcluster_task_id="V3SVuxO8TFy37En_6HcXLs", taskcluster_retry_id=0
            ),
            factories.job(
                push["revision"], guid="b", taskcluster_task_id="AbCdEfGhIjKlMnOpQrStUv", taskcluster_retry_id=2
            ),
            factories.job(push["revision"], guid="c"),
        ],
    )
    ids = ",".join(str(job_ids[g]) for g in ("a", "b", "c"))
    assert client.get("/api/taskclustermetadata/", params={"job_ids": ids}).json() == [
        {"job": job_ids["a"], "task_id": "V3SVuxO8TFy37En_6HcXLs", "retry_id": 0},
        {"job": job_ids["b"], "task_id": "AbCdEfGhIjKlMnOpQrStUv", "retry_id": 2},
    ]
    assert client.get("/api/taskclustermetadata/").json() == []
    bad = client.get("/api/taskclustermetadata/", params={"job_ids": "1,a"})
    assert bad.status_code == 400
