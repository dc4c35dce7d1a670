"""Taskcluster queue messages + task definitions -> job datums."""

from __future__ import annotations

import copy
import json

import pytest

from treeherder.pulse.errors import PulseMessageError, UnsupportedExchangeError
from treeherder.pulse.taskcluster import (
    PushRoute,
    artifact_links,
    parse_treeherder_route,
    task_message_to_job_messages,
    task_message_to_jobs,
)

ROOT_URL = "https://tc.example.org"
TASK_ID = "B3EheQ-IQ5aPzw34KS_a6g"  # a task-completed message in the fixtures


def _load(shared_fixtures, name):
    return json.loads((shared_fixtures / "pulse" / "taskcluster" / name).read_text())


@pytest.fixture(scope="module")
def messages(shared_fixtures):
    return _load(shared_fixtures, "taskcluster_pulse_messages.json")


@pytest.fixture(scope="module")
def tasks(shared_fixtures):
    return _load(shared_fixtures, "taskcluster_tasks.json")


@pytest.fixture(scope="module")
def expected_jobs(shared_fixtures):
    return _load(shared_fixtures, "taskcluster_transformed_jobs.json")


@pytest.fixture
def completed(messages, tasks):
    """A completed run's message (with the test root URL) and its task definition."""
    message = copy.deepcopy(messages[TASK_ID])
    message["root_url"] = ROOT_URL
    return message, copy.deepcopy(tasks[TASK_ID])


def _with_event(message, event, **run_changes):
    message["exchange"] = f"exchange/taskcluster-queue/v1/{event}"
    message["payload"]["status"]["runs"][0].update(run_changes)
    return message


def test_every_fixture_message_transforms_to_upstreams_datum(messages, tasks, expected_jobs):
    assert messages.keys() == tasks.keys() == expected_jobs.keys()
    fetched = []

    def fetch_task(root_url, task_id):
        fetched.append((root_url, task_id))
        return tasks[task_id]

    for task_id, message in messages.items():
        jobs = task_message_to_jobs(message, fetch_task)
        assert [job.datum for job in jobs] == [expected_jobs[task_id]], task_id
        route = next(r for r in tasks[task_id]["routes"] if r.startswith("tc-treeherder."))
        assert jobs[0].project == route.split(".")[2]
    assert fetched == [("https://taskcluster.net", task_id) for task_id in messages]


def test_route_parsing():
    assert parse_treeherder_route(["tc-treeherder.v2.autoland.abc123.88565", "coalesce.v1.x"]) == PushRoute(
        "autoland", "abc123", 88565, None
    )
    assert parse_treeherder_route(["tc-treeherder.v2.mozilla-mobile/fenix.abc123.42"]) == PushRoute(
        "fenix", "abc123", 42, "mozilla-mobile"
    )
    assert parse_treeherder_route(["tc-treeherder.v2.try.abc123"]) == PushRoute("try", "abc123", 0, None)
    # staging routes are a different destination, not a second treeherder route
    assert (
        parse_treeherder_route(["tc-treeherder-staging.v2.try.abc.1", "tc-treeherder.v2.try.def.2"]).revision == "def"
    )
    assert parse_treeherder_route(["index.gecko.v2.try"]) is None
    assert parse_treeherder_route(["tc-treeherder.v2.try.abc.1", "tc-treeherder.v2.autoland.abc.1"]) is None
    with pytest.raises(PulseMessageError):
        parse_treeherder_route(["tc-treeherder.v2.try"])
    with pytest.raises(PulseMessageError):
        parse_treeherder_route(["tc-treeherder.v2.try.abc.not-a-number"])


def test_tasks_not_for_treeherder_are_ignored(completed):
    message, task = completed
    task["routes"] = ["index.gecko.v2.autoland.latest"]
    assert task_message_to_jobs(message, lambda *_: task) == []

    message, task = copy.deepcopy(completed)
    del task["extra"]["treeherder"]
    assert task_message_to_jobs(message, lambda *_: task) == []

    message, task = copy.deepcopy(completed)
    task["extra"]["treeherder"]["tier"] = 7  # fails task-treeherder-config.yml
    assert task_message_to_jobs(message, lambda *_: task) == []


def test_failed_test_task_is_testfailed_with_its_log_and_artifacts(completed):
    message, task = completed
    _with_event(message, "task-failed", state="failed", reasonResolved="failed")
    artifacts = [
        {"name": "public/logs/live_backing.log"},
        {"name": "public/test_info/mochitest_errorsummary.log"},
        {"name": "public/test_info/perfherder-data-raptor.json"},
        {"name": "public/other/mochitest_errorsummary.log"},
    ]
    requested = []

    def fetch_artifacts(root_url, task_id, run_id):
        requested.append((root_url, task_id, run_id))
        return artifacts

    [job] = task_message_to_jobs(message, lambda *_: task, fetch_artifacts)
    assert requested == [(ROOT_URL, TASK_ID, 0)]
    datum = job.datum["job"]
    assert (datum["state"], datum["result"]) == ("completed", "testfailed")
    base = f"{ROOT_URL}/api/queue/v1/task/{TASK_ID}/runs/0/artifacts"
    assert datum["log_references"] == [
        {"name": "live_backing_log", "url": f"{base}/public/logs/live_backing.log", "parse_status": "pending"},
        {
            "name": "errorsummary_json",
            "url": f"{base}/public/test_info/mochitest_errorsummary.log",
            "parse_status": "pending",
        },
    ]
    assert datum["perfherder_data_references"] == [
        {
            "name": "perfherder-data-raptor.json",
            "url": f"{base}/public/test_info/perfherder-data-raptor.json",
            "parse_status": "pending",
        }
    ]
    assert (datum["start_timestamp"], datum["end_timestamp"]) == (1561577268, 1561577770)


def test_failed_build_task_is_busted(completed):
    message, task = completed
    _with_event(message, "task-failed", state="failed")
    task["extra"]["treeherder"]["jobKind"] = "build"
    [job] = task_message_to_jobs(message, lambda *_: task)
    assert job.datum["job"]["result"] == "busted"


@pytest.mark.parametrize(
    ("reason_resolved", "expected"),
    [("canceled", "usercancel"), ("superseded", "superseded"), ("deadline-exceeded", "exception")],
)
def test_exception_runs_have_no_log(completed, reason_resolved, expected):
    message, task = completed
    _with_event(message, "task-exception", state="exception", reasonResolved=reason_resolved)
    [job] = task_message_to_jobs(message, lambda *_: task)
    assert job.datum["job"]["result"] == expected
    assert job.datum["job"]["state"] == "completed"
    assert job.datum["job"]["log_references"] == []


def test_exception_retried_by_the_queue_is_a_retry(completed):
    message, task = completed
    _with_event(message, "task-exception", state="exception", reasonResolved="worker-shutdown")
    message["payload"]["status"]["runs"].append(
        {"runId": 1, "state": "pending", "reasonCreated": "retry", "scheduled": "2019-06-26T19:36:11.000Z"}
    )
    [job] = task_message_to_jobs(message, lambda *_: task)
    assert job.datum["job"]["result"] == "retry"
    assert job.datum["job"]["job_guid"].endswith("/0")


def test_exception_run_created_by_an_exception_is_ignored(completed):
    message, task = completed
    _with_event(message, "task-exception", state="exception", reasonCreated="exception")
    assert task_message_to_jobs(message, lambda *_: task) == []


def test_cancelled_before_start_has_no_start_time(completed):
    message, task = completed
    _with_event(message, "task-exception", state="exception", reasonResolved="canceled")
    del message["payload"]["status"]["runs"][0]["started"]
    [job] = task_message_to_jobs(message, lambda *_: task)
    assert "start_timestamp" not in job.datum["job"]
    assert job.datum["job"]["end_timestamp"] == 1561577770


def test_defined_task_is_unscheduled(completed):
    message, task = completed
    _with_event(message, "task-defined")
    message["payload"]["status"]["runs"] = []
    [job] = task_message_to_jobs(message, lambda *_: task)
    datum = job.datum["job"]
    assert (datum["state"], datum["result"], datum["machine"]) == ("unscheduled", "unknown", "unknown")
    assert datum["job_guid"] == "07712179-0f88-4396-8fcf-0df8292fdaea/0"


def test_later_runs_get_their_own_guid(completed):
    message, task = completed
    runs = message["payload"]["status"]["runs"]
    runs.append({**runs[0], "runId": 1, "reasonCreated": "rerun", "workerId": "t-mojave-r7-154"})
    message["payload"]["runId"] = 1
    [job] = task_message_to_jobs(message, lambda *_: task)
    assert job.datum["job"]["job_guid"] == "07712179-0f88-4396-8fcf-0df8292fdaea/1"
    assert job.datum["job"]["taskcluster_retry_id"] == 1
    assert job.datum["job"]["machine"] == "t-mojave-r7-154"
    assert job.datum["job"]["log_references"][0]["url"].endswith(
        f"/task/{TASK_ID}/runs/1/artifacts/public/logs/live_backing.log"
    )


def test_message_for_a_missing_run_is_an_error(completed):
    message, task = completed
    message["payload"]["runId"] = 3
    with pytest.raises(PulseMessageError, match="no run 3"):
        task_message_to_jobs(message, lambda *_: task)


def test_treeherder_config_defaults(completed):
    message, task = completed
    task["extra"]["treeherder"] = {
        "symbol": "7",
        "labels": ["debug", "asan"],
        "productName": "firefox",
        "reason": "cron",
    }
    task["metadata"]["name"] = "n" * 200
    [job_message] = task_message_to_job_messages(message, task)
    assert job_message["display"] == {"jobSymbol": "7", "groupSymbol": "?", "jobName": "n" * 139}
    assert job_message["labels"] == ["debug", "asan"]
    assert job_message["buildMachine"] == {
        "name": "t-mojave-r7-153",
        "platform": "gecko-t-osx-1014",
        "os": "-",
        "architecture": "-",
    }
    assert job_message["origin"] == {
        "project": "autoland",
        "revision": "918d7c84da371bda26460fb4b50f161d32107880",
        "id": 88554,
    }
    [job] = task_message_to_jobs(message, lambda *_: task)
    datum = job.datum["job"]
    assert datum["option_collection"] == {"debug": True, "asan": True}
    assert (datum["product_name"], datum["reason"], datum["group_name"], datum["tier"]) == (
        "firefox",
        "cron",
        "unknown",
        1,
    )


def test_task_queue_id_replaces_worker_type(completed):
    message, task = completed
    del task["workerType"]
    task["taskQueueId"] = "releng-hardware/gecko-t-osx-1015"
    del task["extra"]["treeherder"]["machine"]
    [job_message] = task_message_to_job_messages(message, task)
    assert job_message["buildMachine"]["platform"] == "gecko-t-osx-1015"


def test_artifact_links_number_repeated_file_names():
    links = artifact_links(
        ROOT_URL, TASK_ID, 2, [{"name": "public/a/x.log"}, {"name": "public/b/x.log"}, {"name": "public/c/x.log"}]
    )
    assert [link["linkText"] for link in links] == ["x.log", "x.log (1)", "x.log (2)"]
    assert links[1] == {
        "label": "artifact uploaded",
        "linkText": "x.log (1)",
        "url": f"{ROOT_URL}/api/queue/v1/task/{TASK_ID}/runs/2/artifacts/public/b/x.log",
    }


def test_unknown_exchange_is_rejected(completed):
    message, task = completed
    message["exchange"] = "exchange/taskcluster-queue/v1/task-unknown"
    with pytest.raises(UnsupportedExchangeError):
        task_message_to_jobs(message, lambda *_: task)
    message["exchange"] = "exchange/hgpushes/v1"
    with pytest.raises(UnsupportedExchangeError):
        task_message_to_jobs(message, lambda *_: task)


def test_malformed_messages_are_pulse_errors(completed):
    message, task = completed
    for broken in ({**message, "payload": {}}, {**message, "root_url": None}):
        with pytest.raises(PulseMessageError):
            task_message_to_jobs(broken, lambda *_: task)
    broken = copy.deepcopy(message)
    broken["payload"]["status"]["taskId"] = "not-a-slug"
    with pytest.raises(PulseMessageError, match="slugid"):
        task_message_to_jobs(broken, lambda *_: task)
    del task["metadata"]["owner"]
    with pytest.raises(PulseMessageError, match="owner"):
        task_message_to_jobs(message, lambda *_: task)
