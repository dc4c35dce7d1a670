"""Storing pushes and jobs: the one ingestion path every way in uses."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests import factories
from treeherder.db import tables as t
from treeherder.ingest.parse import InvalidCollection, parse_job_collection, parse_push_collection
from treeherder.ingest.store import MissingPushes, UnknownRepository, job_signature, option_collection_hash

REPO = "mozilla-central"


def count(db, table, *where) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def jobs_by_guid(db) -> dict[str, dict]:
    with db.read() as conn:
        return {row["guid"]: dict(row) for row in conn.execute(select(t.job)).mappings()}


def store(ingestor, *datums, on_missing_push="raise"):
    return ingestor.store_jobs(REPO, parse_job_collection(list(datums)), on_missing_push=on_missing_push)


def test_fixture_pushes_and_commits(database, fixture_pushes):
    assert len(fixture_pushes) == 22
    assert count(database, t.push) == 22
    assert count(database, t.commit) == 34


def test_storing_pushes_again_changes_nothing(database, ingestor, shared_fixtures, fixture_pushes):
    pushes = parse_push_collection(json.loads((shared_fixtures / "pushes" / "push_data.json").read_text()))
    assert ingestor.store_pushes(REPO, pushes) == fixture_pushes
    assert count(database, t.push) == 22
    assert count(database, t.commit) == 34


def test_legacy_resultset_pushes_take_the_author_of_their_tip_commit(database, ingestor, shared_fixtures):
    items = json.loads((shared_fixtures / "pushes" / "legacy_client_resultset_data.json").read_text())
    ids = ingestor.store_pushes(REPO, parse_push_collection(items))
    assert len(ids) == 10
    with database.read() as conn:
        author = conn.execute(select(t.push.c.author).where(t.push.c.revision == items[0]["revision"])).scalar()
    assert author == items[0]["revisions"][-1]["author"]


def test_fixture_jobs_with_their_reference_data(database, fixture_jobs, shared_fixtures):
    lines = [json.loads(line) for line in (shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines()]
    assert len(fixture_jobs.job_ids) == 122
    assert count(database, t.job) == 122
    with database.read() as conn:
        machines = set(conn.execute(select(t.machine.c.name)).scalars())
        platforms = set(conn.execute(select(t.machine_platform.c.platform)).scalars())
        job_types = set(conn.execute(select(t.job_type.c.name)).scalars())
        products = set(conn.execute(select(t.product.c.name)).scalars())
        log_urls = set(conn.execute(select(t.job_log.c.url)).scalars())
        hashes = set(conn.execute(select(t.option_collection.c.option_collection_hash)).scalars())
    assert machines == {d["job"]["machine"] for d in lines}
    assert platforms == {d["job"]["machine_platform"]["platform"] for d in lines}
    assert job_types == {d["job"]["name"] for d in lines}
    assert products == {d["job"]["product_name"] for d in lines}
    assert log_urls == {ref["url"] for d in lines for ref in d["job"]["log_references"]}
    assert hashes == {"32faaecac742100f7753f0c1d0aa0add01b4046b"}
    results = {}
    for datum in lines:
        results[datum["job"]["result"]] = results.get(datum["job"]["result"], 0) + 1
    assert results == {"success": 115, "testfailed": 6, "retry": 1}
    # Every pending log with a parseable name is reported for the background parser.
    assert len(fixture_jobs.pending_logs) == 122


def test_upstream_hashes_for_the_first_fixture_job(shared_fixtures):
    first = json.loads((shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines()[0])
    datum = parse_job_collection([first])[0]
    options_hash = option_collection_hash(datum.options)
    assert options_hash == "32faaecac742100f7753f0c1d0aa0add01b4046b"
    assert job_signature(datum, "mozilla-central", options_hash) == "6202a0ad903a317ad2220d84ef19a676544b5d66"
    assert option_collection_hash(["opt"]) == "102210fe594ee9b33d82058545b1ed14f4c8206e"
    assert option_collection_hash([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709"


def test_storing_jobs_again_is_idempotent(database, ingestor, fixture_jobs, shared_fixtures):
    before = jobs_by_guid(database)
    lines = (shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines()
    again = store(ingestor, *[json.loads(line) for line in lines])
    assert again.job_ids == {}  # completed jobs are final: nothing written
    assert again.skipped == 122
    assert jobs_by_guid(database) == before
    assert count(database, t.job_log) == 122


@pytest.fixture
def one_push(ingestor):
    p = factories.push(1)
    ingestor.store_pushes(REPO, parse_push_collection([p]))
    return p["revision"]


@pytest.mark.parametrize(
    "states, final",
    [
        (("pending", "running"), "running"),
        (("completed", "running"), "completed"),
        (("running", "pending"), "running"),
        (("pending", "running", "completed"), "completed"),
        (("completed", "pending"), "completed"),
        (("running", "unscheduled"), "running"),
        (("unscheduled", "pending"), "pending"),
    ],
)
def test_a_job_only_moves_forward(database, ingestor, one_push, states, final):
    for state in states:
        store(ingestor, factories.job(one_push, guid="lifecycle", state=state, result="testfailed"))
    assert jobs_by_guid(database)["lifecycle"]["state"] == final


def test_states_in_one_batch_converge(database, ingestor, one_push):
    store(
        ingestor,
        factories.job(one_push, guid="g", state="completed", result="busted"),
        factories.job(one_push, guid="g", state="running"),
        factories.job(one_push, guid="g", state="pending"),
    )
    row = jobs_by_guid(database)["g"]
    assert (row["state"], row["result"]) == ("completed", "busted")


def test_lifecycle_fixture_files(database, ingestor, one_push, shared_fixtures):
    def datum(name):
        obj = json.loads((shared_fixtures / "jobs" / "lifecycle" / f"{name}.json").read_text())
        obj["revision"] = one_push
        if obj["job"].get("result") == 0:  # an old quirk of the fixture: a numeric result
            obj["job"]["result"] = "success"
        return obj

    store(ingestor, datum("pending"))
    guid = "808f4f1372895eda5ecd65f2371ebe67a2a9af9b"
    assert jobs_by_guid(database)[guid]["state"] == "pending"
    store(ingestor, datum("running"))
    assert jobs_by_guid(database)[guid]["state"] == "running"
    finished = datum("finished")
    store(ingestor, finished)
    row = jobs_by_guid(database)[guid]
    assert (row["state"], row["result"]) == ("completed", "success")
    # The fixture's string and float timestamps are stored as whole seconds.
    assert row["end_timestamp"] == int(finished["job"]["end_timestamp"])
    assert row["start_timestamp"] == int(finished["job"]["start_timestamp"])


def test_who_and_reason_keep_their_first_values(database, ingestor, one_push):
    store(ingestor, factories.job(one_push, guid="g", state="pending", who="first@example.org", reason="scheduled"))
    store(ingestor, factories.job(one_push, guid="g", who="second@example.org", reason="retriggered"))
    row = jobs_by_guid(database)["g"]
    assert (row["who"], row["reason"], row["state"]) == ("first@example.org", "scheduled", "completed")


def test_superseded_jobs_are_marked(database, ingestor, one_push):
    store(ingestor, factories.job(one_push, guid="old", state="running"))
    new = factories.job(one_push, guid="new")
    new["superseded"] = ["old"]
    store(ingestor, new)
    old = jobs_by_guid(database)["old"]
    assert (old["state"], old["result"], old["coalesced_to_guid"]) == ("completed", "superseded", "new")


def test_a_retry_guid_takes_over_its_root_job(database, ingestor, one_push):
    store(ingestor, factories.job(one_push, guid="abc", state="running"))
    store(ingestor, factories.job(one_push, guid="abc_1700000900", result="retry"))
    rows = jobs_by_guid(database)
    assert "abc" not in rows
    assert rows["abc_1700000900"]["result"] == "retry"
    assert count(database, t.job) == 1


def test_logs_details_errors_and_taskcluster_metadata(database, ingestor, one_push):
    datum = factories.job(
        one_push,
        guid="full",
        result="testfailed",
        taskcluster_task_id="AI3Nrr3gSDSpZ9E9aBA3rg",
        taskcluster_retry_id=0,
        log_references=[{"name": "live_backing_log", "url": "https://logs.example.org/1.log", "parse_status": "pending"}],
        artifacts=[
            {"type": "json", "name": "Job Info", "blob": {"job_details": [{"title": "CPU", "value": "x86", "content_type": "text"}]}},
            {"type": "json", "name": "text_log_summary", "blob": {"errors": [{"linenumber": 7, "line": "TEST-UNEXPECTED-FAIL | a | b"}]}},
        ],
    )
    result = store(ingestor, datum)
    job_id = result.job_ids["full"]
    assert result.pending_logs and result.pending_logs[0][1:] == (job_id, "live_backing_log", "testfailed")
    with database.read() as conn:
        assert conn.execute(select(t.taskcluster_metadata.c.task_id)).scalar() == "AI3Nrr3gSDSpZ9E9aBA3rg"
        assert conn.execute(select(t.job_detail.c.title, t.job_detail.c.value)).first() == ("CPU", "x86")
        assert conn.execute(select(t.text_log_error.c.line_number)).scalar() == 7
    store(ingestor, datum)  # again: nothing duplicated
    assert count(database, t.job_detail) == 1
    assert count(database, t.text_log_error) == 1


def test_a_job_for_an_unknown_revision_is_an_error_that_says_so(database, ingestor, one_push):
    orphan = factories.job(factories.revision("never pushed"))
    with pytest.raises(MissingPushes, match="no push in mozilla-central for revision"):
        store(ingestor, factories.job(one_push), orphan)
    assert count(database, t.job) == 0  # all-or-nothing


def test_orphans_can_be_set_aside_for_a_retry(database, ingestor, one_push):
    orphan = factories.job(factories.revision("never pushed"), guid="orphan")
    result = store(ingestor, factories.job(one_push, guid="ok"), orphan, on_missing_push="skip")
    assert list(result.job_ids) == ["ok"]
    assert [d.guid for d in result.missing_push] == ["orphan"]


def test_short_revisions_match_their_push(database, ingestor, one_push):
    result = store(ingestor, factories.job(one_push[:12], guid="short"))
    assert "short" in result.job_ids


def test_unknown_repository(ingestor):
    with pytest.raises(UnknownRepository, match="No repository with name: nope"):
        ingestor.store_jobs("nope", [])


def test_invalid_items_are_all_reported(one_push):
    bad_state = factories.job(one_push, state="finished")
    long_guid = factories.job(one_push, guid="x" * 51)
    bad_time = factories.job(one_push, start_timestamp="yesterday")
    no_revision = factories.job(one_push)
    del no_revision["revision"]
    with pytest.raises(InvalidCollection) as info:
        parse_job_collection([factories.job(one_push), bad_state, long_guid, bad_time, no_revision])
    found = {(e.index, e.field) for e in info.value.errors}
    assert found == {(1, "job.state"), (2, "job.job_guid"), (3, "job.start_timestamp"), (4, "revision")}


def test_the_legacy_client_payload_is_valid(shared_fixtures):
    items = json.loads((shared_fixtures / "jobs" / "legacy_client_job_data.json").read_text())
    jobs = parse_job_collection(items)
    assert len(jobs) == 100
    assert sum(len(j.superseded) for j in jobs) == 40
    assert {o for j in jobs for o in j.options} == {"opt", "debug", "pgo", "asan"}


def test_a_mixed_batch_writes_only_the_jobs_that_move_forward_and_their_children(database, ingestor, one_push):
    def with_log(guid, state, url):
        log = [{"name": "live_backing_log", "url": url, "parse_status": "parsed"}]
        info = [{"type": "json", "name": "Job Info", "blob": {"job_details": [{"title": "url", "value": url}]}}]
        return factories.job(one_push, guid=guid, state=state, log_references=log, artifacts=info)

    first = store(ingestor, with_log("done", "completed", "https://l/1"), with_log("going", "running", "https://l/2"))
    second = store(
        ingestor,
        with_log("done", "running", "https://l/3"),  # a completed job is final: not written
        with_log("going", "completed", "https://l/4"),  # moves forward
        with_log("new", "pending", "https://l/5"),
    )
    assert set(second.job_ids) == {"going", "new"} and second.skipped == 1
    assert second.job_ids["going"] == first.job_ids["going"]
    with database.read() as conn:
        urls = {url for (url,) in conn.execute(select(t.job_log.c.url))}
        values = {value for (value,) in conn.execute(select(t.job_detail.c.value))}
    assert urls == values == {"https://l/1", "https://l/2", "https://l/4", "https://l/5"}


def test_jobs_written_in_bulk_read_back_like_any_other(database, ingestor, one_push):
    store(ingestor, factories.job(one_push, guid="bulk", state="running"))
    row = jobs_by_guid(database)["bulk"]
    assert row["last_modified"].year >= 2025 and row["tier"] == 1 and row["coalesced_to_guid"] is None
    if database.is_sqlite:  # SQLAlchemy's own text form of a DateTime, as every other writer stores it
        with database.read() as conn:
            stored = conn.exec_driver_sql("SELECT last_modified FROM job WHERE guid = 'bulk'").scalar()
        assert stored == row["last_modified"].strftime("%Y-%m-%d %H:%M:%S.%f")


def test_a_batch_larger_than_one_sqlite_statement(database, ingestor, one_push):
    datums = [factories.job(one_push, guid=f"many-{n}", taskcluster_task_id=f"task{n:018d}", taskcluster_retry_id=0)
              for n in range(1203)]  # fmt: skip
    result = store(ingestor, *datums)
    assert len(result.job_ids) == 1203 and len(set(result.job_ids.values())) == 1203
    assert count(database, t.job) == 1203
    assert count(database, t.taskcluster_metadata) == 1203


@pytest.mark.parametrize(("n_jobs", "n_logs"), [(1, 2), (2, 5), (30, 5)])
def test_children_are_stored_in_submission_order(database, ingestor, one_push, n_jobs, n_logs):
    names = ["live_backing_log", "errorsummary_json", "a_log", "z_log", "m_log"][:n_logs]
    datums = [
        factories.job(
            one_push,
            guid=f"ordered-{n}",
            log_references=[{"name": name, "url": f"https://l/{n}/{name}", "parse_status": "parsed"} for name in names],
            artifacts=[{"type": "json", "name": "Job Info", "blob": {"job_details": [
                {"title": title, "value": f"{n}"} for title in ("zeta", "alpha", "mu")]}}],
        )
        for n in range(n_jobs)
    ]  # fmt: skip
    result = store(ingestor, *datums, factories.job(one_push, guid="ordered-without-children"))
    with database.read() as conn:
        logs = conn.execute(select(t.job_log.c.job_id, t.job_log.c.name).order_by(t.job_log.c.id)).all()
        details = conn.execute(select(t.job_detail.c.job_id, t.job_detail.c.title).order_by(t.job_detail.c.id)).all()
    job_order = [result.job_ids[f"ordered-{n}"] for n in range(n_jobs)]
    assert logs == [(job_id, name) for job_id in job_order for name in names]
    assert details == [(job_id, title) for job_id in job_order for title in ("zeta", "alpha", "mu")]
