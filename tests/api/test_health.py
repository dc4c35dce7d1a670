"""Bug suggestions, push health and the other push actions (decision task, group results)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests import factories
from treeherder.db import tables as t

PUSH_URL = "/api/project/mozilla-central/push/"


def _error_summary(*lines: tuple[int, str]) -> dict:
    return {
        "name": "text_log_summary",
        "type": "json",
        "blob": {"errors": [{"linenumber": n, "line": text} for n, text in lines]},
    }


FAIL_LINE = "TEST-UNEXPECTED-FAIL | dom/tests/test_a.html | assertion count 2 is more than expected"
CRASH_LINE = "PROCESS-CRASH | application crashed [@ mozilla::SomeCrashFn] | dom/x.html"


def test_bug_suggestions(client, store, database):
    earlier, current = factories.push(timestamp=1_700_000_000), factories.push(timestamp=1_700_100_000)
    (_, job_ids) = store(
        pushes=[earlier, current],
        jobs=[
            factories.job(earlier["revision"], guid="old", artifacts=[_error_summary((5, FAIL_LINE))]),
            factories.job(
                current["revision"],
                guid="new",
                artifacts=[
                    _error_summary(
                        (101, "12:01:02     INFO - " + FAIL_LINE), (150, "Return code: 1"), (160, CRASH_LINE)
                    )
                ],
            ),  # fmt: skip
        ],
    )
    with database.write() as conn:
        conn.execute(
            t.bugscache.insert(),
            [
                {
                    "bugzilla_id": 1001,
                    "status": "NEW",
                    "resolution": "",
                    "keywords": "intermittent-failure",
                    "summary": "Intermittent dom/tests/test_a.html | assertion count is more than expected",
                    "modified": datetime(2025, 1, 1),
                },
                {
                    "bugzilla_id": 1002,
                    "status": "RESOLVED",
                    "resolution": "FIXED",
                    "keywords": "",
                    "summary": "dom/tests/TEST_A.html crashes sometimes",
                    "modified": datetime(2025, 1, 1),
                },
                {
                    "bugzilla_id": 1003,
                    "status": "NEW",
                    "resolution": "",
                    "keywords": "",
                    "summary": "mytest_a.html is unrelated",
                    "modified": datetime(2025, 1, 1),
                },
                {
                    "bugzilla_id": 1004,
                    "status": "NEW",
                    "resolution": "",
                    "keywords": "",
                    "summary": "Crash in [@ mozilla::SomeCrashFn]",
                    "modified": datetime(2025, 1, 1),
                },
            ],  # fmt: skip
        )
    body = client.get(f"/api/project/mozilla-central/jobs/{job_ids['new']}/bug_suggestions/").json()
    assert [item["line_number"] for item in body] == [101, 150, 160]
    fail, unhelpful, crash = body
    assert fail["search"] == FAIL_LINE  # the mozharness prefix is cleaned off
    assert fail["search_terms"] == ["test_a.html"]
    assert fail["path_end"] == "dom/tests/test_a.html"
    assert [bug["id"] for bug in fail["bugs"]["open_recent"]] == [1001]
    assert [bug["id"] for bug in fail["bugs"]["all_others"]] == [1002]
    assert set(fail["bugs"]["open_recent"][0]) == {
        "id", "internal_id", "status", "resolution", "summary", "dupe_of", "crash_signature", "keywords", "whiteboard",
        "occurrences",
    }  # fmt: skip
    assert fail["bugs"]["open_recent"][0]["keywords"] == "intermittent-failure"
    # the same line failed in an earlier push of the repository
    assert (fail["counter"], fail["failure_new_in_rev"]) == (1, False)
    assert unhelpful["search_terms"] == [] and unhelpful["bugs"] == {"open_recent": [], "all_others": []}
    assert crash["search_terms"][-1] == "mozilla::SomeCrashFn"  # crash-signature fallback
    assert [bug["id"] for bug in crash["bugs"]["open_recent"]] == [1004]
    assert (crash["counter"], crash["failure_new_in_rev"]) == (0, True)
    missing = client.get("/api/project/mozilla-central/jobs/999999/bug_suggestions/")
    assert missing.status_code == 404 and missing.json() == "No job with id: 999999"


@pytest.fixture
def unhealthy_push(store, database):
    push = factories.push()
    rev = push["revision"]
    lint_platform = {"platform": "lint", "os_name": "lint", "architecture": ""}
    jobs = [
        factories.job(rev, guid="build-bad", name="build-linux64/opt", job_symbol="B", group_name="", group_symbol="?",
                      result="busted"),
        factories.job(rev, guid="lint-bad", name="source-test-mozlint-eslint", job_symbol="ES", result="testfailed",
                      machine_platform=lint_platform, build_platform=lint_platform),
        factories.job(rev, guid="test-a", result="testfailed"),
        factories.job(rev, guid="test-a-retry", result="success"),
        factories.job(rev, guid="test-b", name="test-linux64/opt-xpcshell-2", job_symbol="X2", result="testfailed"),
        factories.job(rev, guid="test-running", name="test-linux64/opt-reftest-1", job_symbol="R1", state="running"),
        factories.job(rev, guid="tier3", name="test-linux64/opt-flaky", job_symbol="F", result="testfailed", tier=3),
    ]  # fmt: skip
    (push_ids, job_ids) = store(pushes=[push], jobs=jobs)
    now = datetime(2025, 2, 27, 12)
    with database.write() as conn:
        # the lint failure has a note and test-b a linked bug: both are classified
        conn.execute(
            t.job_note.insert().values(
                job_id=job_ids["lint-bad"], failure_classification_id=4, who="s@x.org", text="", created=now
            )
        )
        conn.execute(t.bug_job_map.insert().values(job_id=job_ids["test-b"], bug_id=77, who="s@x.org", created=now))
        conn.execute(
            t.failure_line.insert(),
            [
                {"job_id": job_ids["test-a"], "repository_id": 1, "action": "test_result", "line": n, "test": test,
                 "status": "FAIL", "expected": "PASS", "created": now}
                for n, test in ((1, "dom/tests/test_one.html"), (2, "dom/tests/test_two.html"), (3, "dom/tests/test_one.html"))
            ],
        )  # fmt: skip
    return {"push": push, "push_id": push_ids[rev], "jobs": job_ids}


def test_health_summary(client, unhealthy_push):
    rev = unhealthy_push["push"]["revision"]
    (item,) = client.get(
        f"{PUSH_URL}health_summary/", params={"revision": rev, "with_in_progress_tests": "true"}
    ).json()
    assert item == {
        "revision": rev,
        "repository": "mozilla-central",
        "testFailureCount": 2,  # two failing tests in test-a; test-b is classified; tier 3 is ignored
        "testInProgressCount": 1,
        "buildFailureCount": 1,
        "buildInProgressCount": 0,
        "lintFailureCount": 0,
        "lintingInProgressCount": 0,
        "needInvestigation": 3,
        "status": {"completed": 5, "pending": 0, "running": 1, "success": 1, "testfailed": 3, "busted": 1},
        "history": None,
        "metrics": {
            "linting": {"name": "Linting", "result": "pass"},
            "tests": {"name": "Tests", "result": "fail"},
            "builds": {"name": "Builds", "result": "fail"},
        },
    }
    by_author = client.get(
        f"{PUSH_URL}health_summary/",
        params={"author": unhealthy_push["push"]["author"], "count": 5, "with_history": "1"},
    ).json()
    assert [entry["revision"] for entry in by_author] == [rev]
    assert by_author[0]["history"][0]["revision"] == rev
    assert by_author[0]["testInProgressCount"] == 0  # only computed on request
    assert client.get(f"{PUSH_URL}health_summary/").status_code == 400


def test_push_health(client, unhealthy_push):
    rev = unhealthy_push["push"]["revision"]
    jobs = unhealthy_push["jobs"]
    body = client.get(f"{PUSH_URL}health/", params={"revision": rev}).json()
    assert body["revision"] == rev and body["id"] == unhealthy_push["push_id"]
    assert body["result"] == "fail"
    tests = body["metrics"]["tests"]
    assert tests["result"] == "fail"
    assert [(f["testName"], f["failedInJobs"], f["totalJobs"]) for f in tests["details"]["needInvestigation"]] == [
        ("dom/tests/test_one.html", [jobs["test-a"]], 2),
        ("dom/tests/test_two.html", [jobs["test-a"]], 2),
    ]
    assert [(f["testName"], f["action"]) for f in tests["details"]["knownIssues"]] == [
        ("test-linux64/opt-xpcshell-2", "job")
    ]
    assert [job["id"] for job in body["metrics"]["builds"]["details"]] == [jobs["build-bad"]]
    assert body["metrics"]["linting"] == {"name": "Linting", "result": "pass", "details": []}
    assert sorted(body["jobs"]) == ["test-linux64/opt-mochitest-1", "test-linux64/opt-xpcshell-2"]
    assert [job["id"] for job in body["jobs"]["test-linux64/opt-mochitest-1"]] == [jobs["test-a"], jobs["test-a-retry"]]
    assert body["status"]["testfailed"] == 3  # upstream replaces it with the failures needing investigation
    history = body["metrics"]["commitHistory"]
    assert history["name"] == "Commit History" and history["details"]["currentPush"]["revision"] == rev
    missing = client.get(f"{PUSH_URL}health/", params={"revision": "abc"})
    assert missing.status_code == 404 and missing.json() == "No push with revision: abc"


def test_healthy_push(client, store):
    push = factories.push()
    store(
        pushes=[push],
        jobs=[factories.job(push["revision"]), factories.job(push["revision"], name="build-win/opt", job_symbol="B")],
    )
    body = client.get(f"{PUSH_URL}health/", params={"revision": push["revision"]}).json()
    assert body["result"] == "pass"
    assert body["metrics"]["linting"]["result"] == "none"
    assert body["metrics"]["builds"]["result"] == "pass"
    assert body["metrics"]["tests"] == {
        "name": "Tests",
        "result": "pass",
        "details": {"needInvestigation": [], "knownIssues": []},
    }


def test_decision_task(client, store):
    push, other = factories.push(), factories.push()
    (push_ids, _) = store(
        pushes=[push, other],
        jobs=[
            factories.job(push["revision"], name="Gecko Decision Task", job_symbol="D", taskcluster_task_id="DDDDDDDDDDDDDDDDDDDDDD",
                          taskcluster_retry_id=0),
            factories.job(push["revision"], taskcluster_task_id="TTTTTTTTTTTTTTTTTTTTTT", taskcluster_retry_id=0),
        ],
    )  # fmt: skip
    push_id, other_id = push_ids[push["revision"]], push_ids[other["revision"]]
    body = client.get(f"{PUSH_URL}decisiontask/", params={"push_ids": f"{push_id},{other_id}"}).json()
    assert body == {str(push_id): {"id": "DDDDDDDDDDDDDDDDDDDDDD", "run": "0"}}
    missing = client.get(f"{PUSH_URL}decisiontask/", params={"push_ids": str(other_id)})
    assert missing.status_code == 404
    assert missing.json() == f"No decision tasks found for pushes: ['{other_id}']"


def test_group_results(client, store, database):
    push = factories.push()
    logs = [{"name": "errorsummary_json", "url": "https://example.org/e.log", "parse_status": "parsed"}]
    (_, job_ids) = store(
        pushes=[push],
        jobs=[factories.job(push["revision"], guid="g", taskcluster_task_id="GGGGGGGGGGGGGGGGGGGGGG", taskcluster_retry_id=0,
                            log_references=logs)],
    )  # fmt: skip
    with database.write() as conn:
        log_id = conn.execute(t.job_log.select().with_only_columns(t.job_log.c.id)).scalar_one()
        ok, bad = (
            conn.execute(
                t.test_group.insert().returning(t.test_group.c.id),
                [{"name": "dom/tests/mochitest.toml"}, {"name": "layout/base/tests/mochitest.toml"}],
            )
            .scalars()
            .all()
        )
        conn.execute(
            t.group_status.insert(),
            [
                {"job_log_id": log_id, "group_id": ok, "status": 1, "duration": 5},
                {"job_log_id": log_id, "group_id": bad, "status": 2, "duration": None},
            ],
        )
    body = client.get(f"{PUSH_URL}group_results/", params={"revision": push["revision"]}).json()
    assert body == {
        "GGGGGGGGGGGGGGGGGGGGGG": {"dom/tests/mochitest.toml": True, "layout/base/tests/mochitest.toml": False}
    }
    assert client.get(f"{PUSH_URL}group_results/", params={"revision": "nope"}).status_code == 404
