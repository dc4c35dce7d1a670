"""Perfherder read endpoints over real HTTP, on data stored through the ingestion path."""

from __future__ import annotations

import pytest

from tests import factories
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.perf import store as perf_store

REPO = "mozilla-central"
T0 = 1_700_000_000


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


@pytest.fixture
def stored(ingestor):
    """Three pushes; each has one talos job (tp5o summary with two subtests) and the third a retrigger."""
    pushes = [factories.push(7000 + i, timestamp=T0 + 3600 * i) for i in range(3)]
    push_ids = ingestor.store_pushes(REPO, parse_push_collection(pushes))

    def job(push, value, guid):
        obj = {
            "framework": {"name": "talos"},
            "suites": [
                {
                    "name": "tp5o",
                    "value": value,
                    "lowerIsBetter": False,
                    "extraOptions": ["e10s"],
                    "tags": ["pageload"],
                    "unit": "ms",
                    "subtests": [{"name": "a.com", "value": value / 2}, {"name": "b.com", "value": value / 3}],
                }
            ],
        }
        return factories.job(
            push["revision"],
            guid=guid,
            artifacts=[{"type": "json", "name": "performance_data", "blob": {"performance_data": obj}}],
        )

    jobs = [job(p, 100.0 + i + 0.123, f"perf-{i}") for i, p in enumerate(pushes)]
    jobs.append(job(pushes[2], 200.0, "perf-retrigger"))
    result = ingestor.store_jobs(REPO, parse_job_collection(jobs))
    return {"pushes": pushes, "push_ids": [push_ids[p["revision"]] for p in pushes], "jobs": result.job_ids}


def _signatures(client, **params):
    response = client.get(f"/api/project/{REPO}/performance/signatures/", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_frameworks_lists_enabled_ones(client):
    frameworks = client.get("/api/performance/framework/").json()
    names = [f["name"] for f in frameworks]
    assert "talos" in names and "awfy" not in names and "vcs" not in names
    assert [f["id"] for f in frameworks] == sorted(f["id"] for f in frameworks)


def test_signatures_shape_and_filters(client, stored):
    signatures = _signatures(client)
    assert len(signatures) == 3
    summary = next(s for s in signatures.values() if "test" not in s)
    assert summary == {
        "id": summary["id"],
        "signature_hash": summary["signature_hash"],
        "framework_id": 1,
        "option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e",
        "machine_platform": "linux64",
        "suite": "tp5o",
        "should_alert": None,
        "lower_is_better": False,
        "has_subtests": True,
        "tags": ["pageload"],
        "extra_options": ["e10s"],
        "measurement_unit": "ms",
    }
    assert set(signatures) == {str(s["id"]) for s in signatures.values()}
    subtests = [s for s in signatures.values() if "test" in s]
    assert {s["parent_signature"] for s in subtests} == {summary["signature_hash"]}
    assert list(_signatures(client, subtests="0")) == [str(summary["id"])]
    assert len(_signatures(client, parent_signature=summary["signature_hash"])) == 2
    assert len(_signatures(client, signature=summary["signature_hash"])) == 1
    assert len(_signatures(client, id=[s["id"] for s in subtests])) == 2
    assert _signatures(client, framework=2) == {}
    assert _signatures(client, platform="windows10-64") == {}
    # data from 2023: nothing updated in the last day, everything since 2023
    assert _signatures(client, interval=86400) == {}
    assert len(_signatures(client, start_date="2023-01-01T00:00:00")) == 3


def test_signature_errors(client, stored):
    url = f"/api/project/{REPO}/performance/signatures/"
    both = client.get(url, params={"interval": 86400, "start_date": "2023-01-01T00:00:00"})
    assert both.status_code == 400
    assert both.json() == {"message": "Provide either interval only -or- start (and end) date"}
    bad_id = client.get(url, params={"id": "x"})
    assert bad_id.status_code == 400
    assert bad_id.json() == {"message": "One or more id values invalid (must be integer)"}
    assert client.get("/api/project/no-such-repo/performance/signatures/").status_code == 404


def test_data_by_signature(client, stored):
    signatures = _signatures(client, subtests="0")
    (summary,) = signatures.values()
    response = client.get(f"/api/project/{REPO}/performance/data/", params={"signature_id": summary["id"]})
    assert response.status_code == 200
    data = response.json()
    assert list(data) == [summary["signature_hash"]]
    points = data[summary["signature_hash"]]
    assert len(points) == 4
    first = points[0]
    assert first == {
        "id": first["id"],
        "signature_id": summary["id"],
        "job_id": stored["jobs"]["perf-0"],
        "push_id": stored["push_ids"][0],
        "revision": stored["pushes"][0]["revision"],
        "push_timestamp": T0,
        "value": 100.12,
    }
    by_hash = client.get(f"/api/project/{REPO}/performance/data/", params={"signatures": summary["signature_hash"]})
    assert by_hash.json() == data
    deduped = client.get(
        f"/api/project/{REPO}/performance/data/", params={"signature_id": summary["id"], "no_retriggers": "true"}
    ).json()
    assert len(deduped[summary["signature_hash"]]) == 3
    by_push = client.get(f"/api/project/{REPO}/performance/data/", params={"push_id": stored["push_ids"][2]}).json()
    assert sum(len(v) for v in by_push.values()) == 6  # two jobs, three series each


def test_data_errors(client, stored):
    url = f"/api/project/{REPO}/performance/data/"
    assert client.get(url).json() == ["Need to specify either signature_id, signatures, push_id, or job_id"]
    both = client.get(url, params={"signature_id": 1, "signatures": "abc"})
    assert both.status_code == 400 and both.json() == ["Can't specify both signature_id and signatures in same query"]
    bad_job = client.get(url, params={"job_id": "x"})
    assert bad_job.status_code == 400 and bad_job.json() == {"message": "Job id(s) must be specified as integers"}


def test_platforms_and_job_data(client, stored):
    assert client.get(f"/api/project/{REPO}/performance/platforms/").json() == ["linux64"]
    job_id = stored["jobs"]["perf-1"]
    body = client.get(f"/api/project/{REPO}/performance/job-data/", params={"job_id": job_id}).json()
    assert body["job_id"] == job_id and body["push_id"] == stored["push_ids"][1]
    assert body["revision"] == stored["pushes"][1]["revision"] and body["push_timestamp"] == T0 + 3600
    assert sorted(d["value"] for d in body["data"]) == [33.71, 50.56, 101.12]
    assert {d["signature_data"]["suite"] for d in body["data"]} == {"tp5o"}
    missing = client.get(f"/api/project/{REPO}/performance/job-data/", params={"job_id": 999999})
    assert missing.status_code == 400 and missing.json() == {"message": "No data found for job_id=999999"}
    bad = client.get(f"/api/project/{REPO}/performance/job-data/", params={"job_id": "x"})
    assert bad.json() == {"message": "Job id must be specified as integers"}


def test_thclient_reads_signatures_and_data(live_server, stored):
    from thclient import PerfherderClient

    client = PerfherderClient(server_url=live_server.url)
    signatures = client.get_performance_signatures(REPO)
    assert len(signatures) == 3
    assert signatures.get_property_values("suite") == {"tp5o"}
    summary_hash = next(s["signature_hash"] for s in signatures.values() if "test" not in s)
    series = client.get_performance_data(REPO, signatures=summary_hash)
    assert list(series[summary_hash]["value"]) == [100.12, 101.12, 102.12, 200.0]


def test_performance_summary(client, stored):
    url = "/api/performance/summary/"
    revision = stored["pushes"][2]["revision"]
    series = client.get(url, params={"repository": REPO, "revision": revision, "no_subtests": "true"}).json()
    (summary,) = series
    assert summary["suite"] == "tp5o" and summary["values"] == [102.123, 200.0]
    assert summary["name"] == "tp5o opt e10s" and summary["repository_name"] == REPO
    assert summary["job_ids"] == [stored["jobs"]["perf-2"], stored["jobs"]["perf-retrigger"]]
    deduped = client.get(
        url, params={"repository": REPO, "revision": revision, "no_subtests": "1", "no_retriggers": "1"}
    )
    assert deduped.json()[0]["values"] == [102.123]
    every = client.get(
        url, params={"repository": REPO, "interval": 86400, "all_data": "true", "signature": summary["signature_hash"]}
    )
    assert [d["value"] for d in every.json()[0]["data"]] == [100.12, 101.12, 102.12, 200.0]
    subtests = client.get(url, params={"repository": REPO, "revision": revision}).json()
    assert len(subtests) == 3
    bad = client.get(url, params={"repository": REPO})
    assert bad.status_code == 400
    assert bad.json() == {"non_field_errors": ["Required: revision, startday and endday or interval."]}
    unknown = client.get(url, params={"repository": "foo", "interval": 86400})
    assert unknown.json() == {"repository": ["foo does not exist."]}


def test_issue_trackers_and_tags(client):
    trackers = client.get("/api/performance/issue-tracker/").json()
    assert trackers[0] == {
        "id": 1,
        "text": "Bugzilla",
        "task_base_url": "https://bugzilla.mozilla.org/show_bug.cgi?id=",
    }
    assert client.get("/api/performance/tag/").json() == []
