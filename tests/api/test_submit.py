"""POST job and push collections through a real server, signed as the clients sign them."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from sqlalchemy import select

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.auth.stored import job_count, push_count, stored_job
from tests.conftest import LiveServer, make_app
from treeherder.db import tables as t

REPO = "mozilla-central"
JOBS = f"/api/project/{REPO}/jobs/"
PUSHES = f"/api/project/{REPO}/push/"


@pytest.fixture
def credential(database):
    return issue(database)


@pytest.fixture
def post(client, credential):
    """post(path, data=..., body=..., content_type=...) -> httpx.Response, Hawk-signed."""

    def _post(path, data=None, **kwargs):
        return send(client, credential, "POST", path, data, **kwargs).response

    return _post


@pytest.fixture
def push(post) -> dict:
    pushed = factories.push(commits=2)
    response = post(PUSHES, [pushed])
    assert response.status_code == 200, response.text
    return pushed


def test_push_collection_is_stored_once(post, database):
    pushed = factories.push(commits=3)
    first = post(PUSHES, [pushed])
    assert first.status_code == 200
    assert first.json() == {"message": "Push successfully updated"}
    assert post(PUSHES, [pushed]).status_code == 200
    assert push_count(database) == 1


def test_invalid_push_collection_stores_nothing(post, database):
    good = factories.push()
    bad = {**factories.push(), "revisions": []}
    response = post(PUSHES, [good, bad])
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [{"index": 1, "field": "revisions", "reason": body["errors"][0]["reason"]}]
    assert "item 1: revisions" in body["detail"]
    assert push_count(database) == 0


def test_job_collection_is_stored_with_every_field(post, database, push):
    datum = factories.job(
        push["revision"],
        guid="full-job",
        tier=2,
        reference_data_name="linux64 opt mochitest-1",
        log_references=[{"name": "live_backing_log", "url": "https://logs.example.org/1.log", "parse_status": "pending"}],
        artifacts=[{"type": "json", "name": "Job Info",
                    "blob": {"job_details": [{"title": "CPU", "value": "x86", "content_type": "text"}]}}],
    )
    response = post(JOBS, [datum])
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Job successfully updated"}
    job = stored_job(database, "full-job")
    sent = datum["job"]
    assert job["push_revision"] == push["revision"] and job["repository"] == REPO
    assert (job["state"], job["result"], job["tier"]) == ("completed", "success", 2)
    assert (job["job_type_name"], job["job_type_symbol"]) == (sent["name"], sent["job_symbol"])
    assert (job["job_group_name"], job["job_group_symbol"]) == (sent["group_name"], sent["group_symbol"])
    assert (job["build_os"], job["build_platform"], job["build_architecture"]) == ("linux", "linux64", "x86_64")
    assert (job["machine_os"], job["machine_platform"], job["machine_architecture"]) == ("linux", "linux64", "x86_64")
    assert job["options"] == "opt"
    assert job["option_collection_hash"] == "102210fe594ee9b33d82058545b1ed14f4c8206e"
    assert (job["machine"], job["product"], job["who"], job["reason"]) == ("worker-1", "firefox", sent["who"], sent["reason"])
    assert (job["submit_timestamp"], job["start_timestamp"], job["end_timestamp"]) == (
        sent["submit_timestamp"], sent["start_timestamp"], sent["end_timestamp"])
    assert (job["reference_data_name"], job["build_system_type"]) == ("linux64 opt mochitest-1", "taskcluster")
    assert [(log["name"], log["url"]) for log in job["logs"]] == [("live_backing_log", "https://logs.example.org/1.log")]
    assert job["details"] == [{"title": "CPU", "value": "x86", "url": None}]


def test_performance_artifacts_are_stored(post, database, push):
    blob = {"performance_data": {"framework": {"name": "talos"}, "suites": [{"name": "tp5o", "value": 12.5, "subtests": []}]}}
    datum = factories.job(push["revision"], guid="perf", artifacts=[{"type": "json", "name": "performance_data", "blob": blob}])
    assert post(JOBS, [datum]).status_code == 200
    with database.read() as conn:
        values = conn.execute(select(t.performance_datum.c.value)).scalars().all()
    assert values == [12.5]


def test_short_revision_finds_the_push(post, database, push):
    assert post(JOBS, [factories.job(push["revision"][:12], guid="short")]).status_code == 200
    assert stored_job(database, "short")["push_revision"] == push["revision"]


def test_one_invalid_item_rejects_the_whole_collection(post, database, push):
    items = [
        factories.job(push["revision"], guid="fine"),
        factories.job(push["revision"], guid="bad-state", state="finished"),
        factories.job(push["revision"], guid="bad-tier", tier=9),
    ]
    items[2]["job"]["build_platform"] = "linux"
    response = post(JOBS, items)
    assert response.status_code == 400
    body = response.json()
    fields = [(error["index"], error["field"]) for error in body["errors"]]
    assert fields == [(1, "job.state"), (2, "job.tier"), (2, "job.build_platform")]
    assert body["detail"].startswith("Invalid job collection, nothing was stored: item 1: job.state: must be one of")
    assert job_count(database) == 0


def test_job_for_a_revision_without_push_is_an_error_that_says_so(post, database, push):
    orphan = factories.revision("never pushed")
    response = post(JOBS, [factories.job(push["revision"], guid="with-push"), factories.job(orphan)])
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert orphan in detail and "no push in mozilla-central" in detail
    assert job_count(database) == 0


def test_state_only_moves_forward(post, database, push):
    rev = push["revision"]
    assert post(JOBS, [factories.job(rev, guid="life", state="pending")]).status_code == 200
    assert stored_job(database, "life")["state"] == "pending"
    assert post(JOBS, [factories.job(rev, guid="life", state="running")]).status_code == 200
    assert stored_job(database, "life")["state"] == "running"
    # A late "pending" message does not take the job back.
    assert post(JOBS, [factories.job(rev, guid="life", state="pending")]).status_code == 200
    assert stored_job(database, "life")["state"] == "running"
    assert post(JOBS, [factories.job(rev, guid="life", state="completed", result="testfailed")]).status_code == 200
    # A completed job is final: even another completed datum is skipped (200 all the same, as upstream).
    response = post(JOBS, [factories.job(rev, guid="life", state="completed", result="success")])
    assert response.status_code == 200
    assert response.json() == {"message": "Job successfully updated"}
    job = stored_job(database, "life")
    assert (job["state"], job["result"]) == ("completed", "testfailed")


def test_empty_result_of_an_unfinished_job_means_unknown(post, database, push):
    """treeherder-client 4.0.0 sends "result": "" for jobs whose result was never set."""
    datum = factories.job(push["revision"], guid="no-result", state="running")
    datum["job"]["result"] = ""
    assert post(JOBS, [datum]).status_code == 200
    assert stored_job(database, "no-result")["result"] == "unknown"


def test_a_retry_guid_takes_over_its_root_job(post, database, push):
    rev = push["revision"]
    assert post(JOBS, [factories.job(rev, guid="root", state="running")]).status_code == 200
    assert post(JOBS, [factories.job(rev, guid="root_1", state="completed", result="retry")]).status_code == 200
    assert job_count(database) == 1
    assert stored_job(database, "root") is None
    assert stored_job(database, "root_1")["result"] == "retry"


def test_json_with_a_charset_is_accepted(post, push):
    body = orjson.dumps([factories.job(push["revision"])])
    assert post(JOBS, body=body, content_type="application/json; charset=utf-8").status_code == 200


def test_reposting_a_collection_is_idempotent(post, database, push):
    items = [factories.job(push["revision"], guid=f"same-{i}") for i in range(5)]
    for _ in range(3):
        assert post(JOBS, items).status_code == 200
    assert job_count(database) == 5


def test_superseded_guids_are_marked(post, database, push):
    rev = push["revision"]
    assert post(JOBS, [factories.job(rev, guid="old", state="running")]).status_code == 200
    newer = factories.job(rev, guid="new")
    newer["superseded"] = ["old"]
    assert post(JOBS, [newer]).status_code == 200
    old = stored_job(database, "old")
    assert (old["state"], old["result"]) == ("completed", "superseded")


def test_unknown_project_is_404(post):
    response = post("/api/project/no-such-repo/jobs/", [])
    assert response.status_code == 404
    assert response.json() == {"detail": "No project with name no-such-repo"}


def test_wrong_content_type_is_415(post):
    response = post(JOBS, body=b"[]", content_type="text/plain")
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_malformed_json_is_400(post, database):
    response = post(JOBS, body=b'[{"revision": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert job_count(database) == 0


def test_non_array_body_is_400(post, push):
    response = post(JOBS, factories.job(push["revision"]))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 0, "field": "body", "reason": "must be a JSON array of job objects"}]


def test_json_deeper_than_the_parser_allows_gets_the_same_message(post):
    response = post(JOBS, body=b"[" * 2000 + b"]" * 2000)
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nesting is deeper than the limit of 64 levels."}


def test_json_depth_limit(post, push):
    """65 levels are refused with a clear message; 64 pass the depth check (and fail validation instead)."""
    deep = b"[" * 65 + b"]" * 65
    refused = post(JOBS, body=deep)
    assert refused.status_code == 400
    assert refused.json() == {"detail": "JSON nesting is deeper than the limit of 64 levels."}
    at_limit = post(JOBS, body=b"[" * 64 + b"]" * 64).json()
    assert "errors" in at_limit


def test_body_over_the_size_limit_is_413(settings, database, credential, push):
    small = dataclasses.replace(settings, max_request_bytes=2000)
    server = LiveServer(make_app(small, database)).start()
    try:
        with server.client() as http:
            items = [factories.job(push["revision"], guid=f"big-{i}") for i in range(20)]
            assert len(orjson.dumps(items)) > 2000
            signed = send(http, credential, "POST", JOBS, items)
            assert signed.response.status_code == 413
            assert signed.response.json() == {"detail": "Request body is too large: the limit is 2000 bytes."}
            # Refused before authentication: anonymous oversize bodies get 413 too.
            assert http.post(JOBS, content=orjson.dumps(items)).status_code == 413
            assert send(http, credential, "POST", JOBS, items[:1]).response.status_code == 200
    finally:
        server.stop()
    assert job_count(database) == 1
