"""Intermittent-failure statistics on the upstream fixture jobs, against counts worked out by hand.

The fixture has six testfailed jobs: two on push 27e624bb (2025-02-27 10:20), one on 965ff2a3 (2025-02-27 10:47),
two on 9c6e4c31 (2025-02-28 18:27) and one on 9994bf45 (2024-11-02). mozilla-central has 17 pushes on 2025-02-27,
one on 2025-02-28 and one on 2025-03-01. The sheriff classifies them (through the API) as:

    27e624 #1 intermittent, bug 100      965ff2   intermittent, bug 100     9c6e4c #1 intermittent, bug 100
    27e624 #2 intermittent, bug 200      9c6e4c #2 fixed by commit, bug 300 9994bf   intermittent, bug 100
"""

from __future__ import annotations

import json

import pytest

PLAN = [("27e624bb782b", 0, 4, 100), ("27e624bb782b", 1, 4, 200), ("965ff2a32f69", 0, 4, 100),
        ("9c6e4c31ad26", 0, 4, 100), ("9c6e4c31ad26", 1, 2, 300), ("9994bf450096", 0, 4, 100)]  # fmt: skip
RANGE = {"startday": "2025-02-27", "endday": "2025-02-28"}


@pytest.fixture
def classified(fixture_jobs, shared_fixtures, signed_in, sheriff) -> dict[tuple[str, int], int]:
    """The plan above applied through the API; (short revision, n) -> job id."""
    failed: dict[str, list[str]] = {}
    for line in (shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines():
        if line.strip():
            datum = json.loads(line)
            if datum["job"]["result"] == "testfailed":
                failed.setdefault(datum["revision"][:12], []).append(datum["job"]["job_guid"])
    http = signed_in("sheriff@example.org")
    ids = {}
    for revision, n, classification, bug in PLAN:
        job_id = fixture_jobs.job_ids[failed[revision][n]]
        ids[(revision, n)] = job_id
        assert http.post("/api/project/mozilla-central/note/",
                         json={"job_id": job_id, "failure_classification_id": classification, "text": ""}).status_code == 200  # fmt: skip
        assert http.post("/api/project/mozilla-central/bug-job-map/", json={"job_id": job_id, "bug_id": bug}).status_code == 200
    return ids


@pytest.mark.parametrize("tree", ["mozilla-central", "trunk", "all"])
def test_failures_counts_intermittent_jobs_per_bug(client, classified, tree):
    answer = client.get("/api/failures/", params={**RANGE, "tree": tree})
    assert answer.status_code == 200
    assert answer.json() == [{"bug_id": 100, "bug_count": 3}, {"bug_id": 200, "bug_count": 1}]


def test_failures_of_another_tree_and_outside_the_range(client, classified):
    assert client.get("/api/failures/", params={**RANGE, "tree": "autoland"}).json() == []
    wide = client.get("/api/failures/", params={"startday": "2024-11-01", "endday": "2025-03-05", "tree": "all"}).json()
    assert wide == [{"bug_id": 100, "bug_count": 4}, {"bug_id": 200, "bug_count": 1}]


def test_failure_count_per_day(client, classified):
    params = {"startday": "2025-02-26", "endday": "2025-03-01", "tree": "mozilla-central"}
    assert client.get("/api/failurecount/", params=params).json() == [
        {"date": "2025-02-26", "test_runs": 0, "failure_count": 0},
        {"date": "2025-02-27", "test_runs": 17, "failure_count": 3},
        {"date": "2025-02-28", "test_runs": 1, "failure_count": 1},
        {"date": "2025-03-01", "test_runs": 1, "failure_count": 0},
    ]
    per_bug = client.get("/api/failurecount/", params={**params, "bug": 100}).json()
    assert [day["failure_count"] for day in per_bug] == [0, 2, 1, 0]


def test_failures_by_bug_lists_each_failure_newest_push_first(client, classified):
    rows = client.get("/api/failuresbybug/", params={**RANGE, "tree": "all", "bug": 100}).json()
    assert [row["job_id"] for row in rows] == [
        classified[("9c6e4c31ad26", 0)], classified[("965ff2a32f69", 0)], classified[("27e624bb782b", 0)]
    ]
    first = rows[0]
    assert first["push_time"] == "2025-02-28 18:27:41"
    assert first["revision"].startswith("9c6e4c31ad26") and first["tree"] == "mozilla-central" and first["bug_id"] == 100
    assert set(first) == {"push_time", "platform", "revision", "test_suite", "tree", "build_type", "job_id", "bug_id",
                          "machine_name", "lines", "task_id"}  # fmt: skip
    assert first["build_type"] == "debug" and isinstance(first["lines"], list)


def test_bad_parameters_get_field_errors(client):
    assert client.get("/api/failures/", params={**RANGE, "tree": "foo"}).json() == {"tree": ["foo does not exist."]}
    missing = client.get("/api/failures/")
    assert missing.status_code == 400
    assert set(missing.json()) == {"startday", "endday", "tree"}
    assert client.get("/api/failuresbybug/", params={**RANGE, "tree": "all"}).json() == {"bug": ["This field is required."]}
    bad_day = client.get("/api/failurecount/", params={"startday": "27/02/2025", "endday": "2025-02-28", "tree": "all"})
    assert bad_day.status_code == 400 and list(bad_day.json()) == ["startday"]
