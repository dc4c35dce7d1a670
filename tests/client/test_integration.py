"""thclient against this project's server on loopback: reads, paging beyond 2000 jobs, Hawk submission, perf series.

The server side is set up through the project's own fixtures (``live_server``, ``fixture_pushes``, ``fixture_jobs``,
``ingestor``); the client is used exactly as a script would use it.
"""

from __future__ import annotations

import json

import pytest
from thclient import (
    PerfherderClient,
    TreeherderClient,
    TreeherderHTTPError,
    TreeherderJob,
    TreeherderJobCollection,
)
from thclient.cli import main as thclient_main

REPOSITORY = "mozilla-central"


def job_data_lines(shared_fixtures) -> list[dict]:
    text = (shared_fixtures / "jobs" / "job_data.txt").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def guids_by_revision(shared_fixtures) -> dict[str, set[str]]:
    """The job guids of jobs/job_data.txt, grouped by the revision of their push."""
    grouped: dict[str, set[str]] = {}
    for datum in job_data_lines(shared_fixtures):
        grouped.setdefault(datum["revision"], set()).add(datum["job"]["job_guid"])
    return grouped


def newest_push(fixture_pushes: dict[str, int]) -> tuple[str, int]:
    return max(fixture_pushes.items(), key=lambda item: item[1])


def build_job(revision: str, guid: str, *, state: str = "completed", result: str = "success") -> TreeherderJob:
    """A complete job built with the client's setters, as a submitting CI system would."""
    job = TreeherderJob()
    job.add_revision(revision)
    job.add_project(REPOSITORY)
    job.add_job_guid(guid)
    job.add_job_name("test-linux64/opt-mochitest-1")
    job.add_job_symbol("1")
    job.add_group_name("Mochitests")
    job.add_group_symbol("M")
    job.add_product_name("firefox")
    job.add_state(state)
    job.add_result(result)
    job.add_reason("scheduled")
    job.add_who("ci@example.org")
    job.add_tier(1)
    job.add_submit_timestamp(1740651602)
    job.add_start_timestamp(1740652656)
    job.add_end_timestamp(1740652931)
    job.add_machine("worker-17")
    job.add_build_info("linux", "linux64", "x86_64")
    job.add_machine_info("linux", "linux64", "x86_64")
    job.add_option_collection({"opt": True})
    return job


@pytest.fixture
def th(live_server) -> TreeherderClient:
    with TreeherderClient(server_url=live_server.url, timeout=30, retries=0) as client:
        yield client


def test_reference_data(th):
    names = {repository["name"] for repository in th.get_repositories()}
    assert {"mozilla-central", "autoland", "try"} <= names
    classifications = {item["id"]: item["name"] for item in th.get_failure_classifications()}
    assert classifications[1] == "not classified"


def test_reads_pushes_newest_first(th, fixture_pushes):
    pushes = th.get_pushes(REPOSITORY, count=5)
    assert len(pushes) == 5
    by_revision = {push["revision"]: push for push in pushes}
    assert {fixture_pushes[revision] for revision in by_revision} == {push["id"] for push in pushes}
    times = [push["push_timestamp"] for push in pushes]
    assert times == sorted(times, reverse=True)
    assert len(th.get_pushes(REPOSITORY)) == 10  # the server's default page

    revision, push_id = newest_push(fixture_pushes)
    found = th.get_pushes(REPOSITORY, revision=revision[:12])
    assert [push["id"] for push in found] == [push_id]


def test_reads_jobs_of_a_push(th, fixture_jobs, fixture_pushes, shared_fixtures):
    revision, guids = max(guids_by_revision(shared_fixtures).items(), key=lambda item: len(item[1]))
    jobs = th.get_jobs(REPOSITORY, push_id=fixture_pushes[revision], count=2000)
    assert {job["job_guid"] for job in jobs} == guids
    assert all(job["push_id"] == fixture_pushes[revision] for job in jobs)

    one = jobs[0]
    logs = th.get_job_log_url(REPOSITORY, job_id=one["id"])
    assert all(log["job_id"] == one["id"] for log in logs)
    assert one["option_collection_hash"] in th.get_option_collection_hash()


def test_pages_through_more_than_2000_jobs(th, ingestor, fixture_pushes):
    from treeherder.ingest.parse import parse_job_collection

    revision, push_id = newest_push(fixture_pushes)
    collection = TreeherderJobCollection([build_job(revision, f"paging-{n:05d}") for n in range(2345)])
    ingestor.store_jobs(REPOSITORY, parse_job_collection(collection.get_collection_data()))

    every_job = th.get_jobs(REPOSITORY, push_id=push_id, count=None)
    assert len(every_job) == 2345
    assert {job["job_guid"] for job in every_job} == {f"paging-{n:05d}" for n in range(2345)}
    assert len({job["id"] for job in every_job}) == 2345

    some = th.get_jobs(REPOSITORY, push_id=push_id, count=2100)
    assert [job["id"] for job in some] == [job["id"] for job in every_job[:2100]]


def test_cli_reads_jobs_from_the_server(live_server, fixture_jobs, fixture_pushes, shared_fixtures, capsys):
    revision, guids = max(guids_by_revision(shared_fixtures).items(), key=lambda item: len(item[1]))
    push_id = fixture_pushes[revision]
    status = thclient_main(["--server", live_server.url, "jobs", REPOSITORY, "--push-id", str(push_id),
                            "--format", "json"])
    assert status == 0
    jobs = json.loads(capsys.readouterr().out)
    assert {job["job_guid"] for job in jobs} <= guids
    assert len(jobs) == min(len(guids), 10)  # the server's default page
    assert all(job["push_id"] == push_id for job in jobs)

    status = thclient_main(["--server", live_server.url, "pushes", REPOSITORY, "--count", "3"])
    assert status == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["id", "revision", "author"] and len(table) == 2 + 3


def test_unknown_project_raises_with_server_detail(th):
    with pytest.raises(TreeherderHTTPError) as raised:
        th.get_pushes("no-such-repository")
    assert raised.value.response.status_code == 404
    assert "no-such-repository" in raised.value.detail


def talos_tp5o(value: float) -> dict:
    return {"framework": {"name": "talos"}, "suites": [{"name": "tp5o", "value": value, "subtests": []}]}


def test_reads_a_performance_series(live_server, ingestor, fixture_pushes):
    from treeherder.ingest.parse import parse_job_collection
    from treeherder.perf import store as perf_store

    perf_store.register()
    oldest_first = sorted(fixture_pushes.items(), key=lambda item: item[1])[:4]
    values = [101.5, 99.25, 100.0, 180.75]
    collection = TreeherderJobCollection()
    for (revision, _), value in zip(oldest_first, values, strict=True):
        job = build_job(revision, f"perf-{revision[:12]}")
        job.add_artifact("performance_data", "json", {"performance_data": talos_tp5o(value)})
        collection.add(job)
    ingestor.store_jobs(REPOSITORY, parse_job_collection(collection.get_collection_data()))

    with PerfherderClient(server_url=live_server.url, retries=0) as perf:
        signatures = perf.get_performance_signatures(REPOSITORY)
        tp5o = signatures.filter(("suite", "tp5o"), ("machine_platform", "linux64"))
        assert len(tp5o) == 1
        (signature_hash,) = tp5o.get_signature_hashes()
        assert len(signature_hash) == 40
        series = perf.get_performance_data(REPOSITORY, signatures=signature_hash, interval=10 * 365 * 86400)
    points = series[signature_hash]
    assert sorted(points["push_id"]) == sorted(push_id for _, push_id in oldest_first)
    value_by_push = dict(zip(points["push_id"], points["value"], strict=True))
    assert [value_by_push[push_id] for _, push_id in oldest_first] == values


def test_submits_a_collection_with_hawk_credentials(live_server, database, hawk_credentials, fixture_pushes):
    from tests.auth.stored import stored_job

    client_id, secret = hawk_credentials
    revision, _ = newest_push(fixture_pushes)
    collection = TreeherderJobCollection()
    outcomes = [("completed", "success"), ("completed", "testfailed"), ("running", "")]  # "" as 4.0.0 sends it
    for n, (state, result) in enumerate(outcomes):
        job = build_job(revision, f"hawk-submitted-{n}", state=state, result=result)
        job.add_log_reference("live_backing_log", f"http://127.0.0.1:9/logs/{n}.log", parse_status="parsed")
        job.add_artifact("Job Info", "json", {"job_details": [{"title": "worker", "value": f"w-{n}"}]})
        collection.add(job)

    with TreeherderClient(server_url=live_server.url, client_id=client_id, secret=secret, retries=0) as submitter:
        for chunk in collection.get_chunks(2):
            response = submitter.post_collection(REPOSITORY, chunk)
            assert response.json() == {"message": "Job successfully updated"}
        # Reading back with the same signed client: GETs carry Hawk headers too.
        (read_back,) = submitter.get_jobs(REPOSITORY, job_guid="hawk-submitted-1")
        logs = submitter.get_job_log_url(REPOSITORY, job_id=read_back["id"])
        details = submitter.get_job_details(job_guid="hawk-submitted-1")
    assert read_back["result"] == "testfailed" and read_back["job_type_name"] == "test-linux64/opt-mochitest-1"
    assert [(log["name"], log["url"]) for log in logs] == [("live_backing_log", "http://127.0.0.1:9/logs/1.log")]
    assert [(detail["title"], detail["value"]) for detail in details] == [("worker", "w-1")]

    stored = {guid: stored_job(database, guid) for guid in ("hawk-submitted-0", "hawk-submitted-1", "hawk-submitted-2")}
    assert stored["hawk-submitted-0"]["result"] == "success"
    assert stored["hawk-submitted-1"]["result"] == "testfailed"
    assert stored["hawk-submitted-2"]["state"] == "running"
    assert all(job["push_revision"] == revision for job in stored.values())
    assert stored["hawk-submitted-0"]["job_type_name"] == "test-linux64/opt-mochitest-1"
    assert stored["hawk-submitted-0"]["logs"][0]["url"] == "http://127.0.0.1:9/logs/0.log"


def test_wrong_secret_is_refused(live_server, hawk_credentials, fixture_pushes):
    client_id, _ = hawk_credentials
    revision, _ = newest_push(fixture_pushes)
    collection = TreeherderJobCollection([build_job(revision, "never-stored")])
    with TreeherderClient(server_url=live_server.url, client_id=client_id, secret="wrong", retries=0) as submitter:
        with pytest.raises(TreeherderHTTPError) as raised:
            submitter.post_collection(REPOSITORY, collection)
    assert raised.value.response.status_code == 403
    assert raised.value.detail.startswith("Hawk authentication failed")


def test_submitting_without_credentials_is_refused(live_server, fixture_pushes):
    revision, _ = newest_push(fixture_pushes)
    anonymous = TreeherderClient(server_url=live_server.url, retries=0)
    with pytest.raises(TreeherderHTTPError) as raised:
        anonymous.post_collection(REPOSITORY, TreeherderJobCollection([build_job(revision, "anonymous")]))
    assert raised.value.response.status_code == 403
    assert raised.value.detail == "Authentication credentials were not provided."


@pytest.fixture
def hawk_credentials(database) -> tuple[str, str]:
    """A Hawk client id and secret issued by the server, as `treeherder credentials create` would."""
    from treeherder.auth.credentials import create_credential

    issued = create_credential(database, "thclient-tests")
    return issued.client_id, issued.secret
