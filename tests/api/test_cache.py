"""The response cache of the job and push lists: served again only while the data under it is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests import factories
from treeherder import cycle
from treeherder.api.cache import ResponseCache
from treeherder.db import tables as t

JOBS = "/api/project/mozilla-central/jobs/"


def _states(client, push_id: int, **params) -> dict[str, str]:
    response = client.get(JOBS, params={"push_id": push_id, "count": 2000, **params})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return {job["job_guid"]: job["state"] for job in response.json()["results"]}


def test_cache_keeps_bodies_within_its_bytes_and_forgets_the_oldest():
    cache = ResponseCache(max_bytes=100)
    assert cache.get("a", 1) is None
    cache.store("a", 1, b"x" * 20)
    assert cache.get("a", 1) == b"x" * 20  # same version: the stored body
    assert cache.get("a", 2) is None  # another version: to be built again
    cache.store("a", 2, b"y" * 20)
    assert cache.get("a", 1) is None  # the new version replaced the old
    for key in "bcdef":
        cache.store(key, 1, b"z" * 20)
    assert cache.size_bytes <= 100
    assert cache.get("a", 2) is None  # the least recently used went first
    assert cache.get("f", 1) == b"z" * 20
    cache.store("huge", 1, b"h" * 60)
    assert cache.get("huge", 1) is None  # over a quarter of the cache: never stored
    assert (cache.hits, cache.misses) == (2, 5)


def test_job_list_of_a_push_follows_every_kind_of_change(client, app, store, database):
    push = factories.push()
    push_ids, _ = store(pushes=[push])
    push_id = push_ids[push["revision"]]
    store(jobs=[factories.job(push["revision"], guid=g, state="pending") for g in ("a", "b", "c")])
    cache = app.state.response_cache

    assert _states(client, push_id) == {"a": "pending", "b": "pending", "c": "pending"}
    assert _states(client, push_id) == {"a": "pending", "b": "pending", "c": "pending"}
    assert cache.hits == 1

    store(jobs=[factories.job(push["revision"], guid="a", state="running")])  # a job moves on
    assert _states(client, push_id)["a"] == "running"

    store(jobs=[factories.job(push["revision"], guid="b_1", state="pending")])  # a retry takes over b's row
    assert _states(client, push_id) == {"a": "running", "b_1": "pending", "c": "pending"}

    store(jobs=[factories.job(push["revision"], guid="d", state="pending")])  # a new job
    assert set(_states(client, push_id)) == {"a", "b_1", "c", "d"}

    with database.write() as conn:  # what the sheriffing and log-parsing writers do: touch last_modified
        conn.execute(
            update(t.job).where(t.job.c.guid == "c").values(state="completed", last_modified=datetime.now(UTC))
        )
    assert _states(client, push_id)["c"] == "completed"

    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1000)
    assert cycle.cycle_jobs(database, days=1, now=later) == 4  # jobs deleted
    assert _states(client, push_id) == {}
    assert cache.hits == 1


def test_job_list_cache_is_per_query_and_off_when_not_by_push(client, app, store):
    push = factories.push()
    push_ids, _ = store(pushes=[push])
    push_id = push_ids[push["revision"]]
    store(jobs=[factories.job(push["revision"], guid=f"j{n}") for n in range(5)])
    cache = app.state.response_cache

    first = client.get(JOBS, params={"push_id": push_id, "count": 2}).json()
    second = client.get(JOBS, params={"count": 2, "push_id": push_id, "offset": 2}).json()
    assert [j["job_guid"] for j in first["results"]] == ["j0", "j1"]
    assert [j["job_guid"] for j in second["results"]] == ["j2", "j3"]
    assert client.get(JOBS, params={"count": 2, "push_id": push_id}).json() == first  # parameters in any order
    listed = client.get(JOBS, params={"push_id": push_id, "count": 2, "return_type": "list"}).json()
    assert listed["results"][0][listed["job_property_names"].index("job_guid")] == "j0"
    assert (cache.hits, cache.misses) == (1, 3)

    client.get(JOBS, params={"count": 2})
    client.get(JOBS, params={"count": 2})
    client.get(JOBS, params={"push_id__gte": push_id})
    assert (cache.hits, cache.misses) == (1, 3)  # not restricted to pushes: never cached


def test_push_list_follows_new_pushes_and_commits(client, app, store, database):
    first = factories.push(commits=2)
    store(pushes=[first])
    cache = app.state.response_cache
    url = "/api/project/mozilla-central/push/"

    def revisions() -> list[tuple[str, int]]:
        return [(push["revision"], push["revision_count"]) for push in client.get(url).json()["results"]]

    assert revisions() == [(first["revision"], 2)]
    assert revisions() == [(first["revision"], 2)]
    assert cache.hits == 1

    second = factories.push(commits=3)
    store(pushes=[second])
    assert revisions() == [(second["revision"], 3), (first["revision"], 2)]

    store(pushes=[{**first, "revisions": [*first["revisions"], {**first["revisions"][0], "revision": "f" * 40}]}])
    listed = dict(revisions())
    assert listed[first["revision"]] in (2, 3)  # as the store treats a push sent again with more commits
    with database.read() as conn:
        stored = conn.execute(
            t.commit.select().where(t.commit.c.revision == "f" * 40)
        ).fetchall()
    assert listed[first["revision"]] == 2 + len(stored)
    assert cache.hits == 1
