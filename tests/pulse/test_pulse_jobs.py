"""Pulse job messages -> job datums, checked against upstream's transformed fixtures."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from treeherder.pulse.errors import InvalidJobMessage
from treeherder.pulse.jobs import job_message_to_datum, job_result, taskcluster_metadata, validate_job_message
from treeherder.pulse.schemas import load_schema, schema_errors
from treeherder.pulse.slugs import slug_to_uuid, uuid_to_slug
from treeherder.pulse.timestamps import to_timestamp

PROJECT = "mozilla-central"


def _load(shared_fixtures, name):
    return json.loads((shared_fixtures / "pulse" / "jobs" / name).read_text())


@pytest.fixture(scope="module")
def job_messages(shared_fixtures):
    messages = _load(shared_fixtures, "job_data.json")
    for message in messages:
        message["origin"]["project"] = PROJECT
    return messages


@pytest.fixture(scope="module")
def expected_datums(shared_fixtures):
    return _load(shared_fixtures, "transformed_job_data.json")


@pytest.fixture
def message(job_messages):
    return copy.deepcopy(job_messages[0])


def test_every_fixture_message_transforms_to_upstreams_datum(job_messages, expected_datums):
    assert len(job_messages) == len(expected_datums) == 26
    for index, (message, expected) in enumerate(zip(job_messages, expected_datums, strict=True)):
        project, datum = job_message_to_datum(message)
        assert project == PROJECT
        assert datum == expected, f"entry {index}"


def test_taskcluster_metadata_is_the_slugid_of_the_guid_uuid(job_messages):
    _, datum = job_message_to_datum(job_messages[0])
    assert datum["job"]["job_guid"] == "008dcdae-bde0-4834-a967-d13d681037ae/0"
    assert datum["job"]["taskcluster_task_id"] == "AI3Nrr3gSDSpZ9E9aBA3rg"
    assert datum["job"]["taskcluster_retry_id"] == 0
    assert taskcluster_metadata("not-a-uuid/3") == {}
    assert taskcluster_metadata("f3e1a4c0b2d94c5e8a7b6c5d4e3f2a1b0c9d8e7f") == {}
    assert taskcluster_metadata("008dcdae-bde0-4834-a967-d13d681037ae/12")["taskcluster_retry_id"] == 12


def test_slugids_round_trip():
    assert uuid_to_slug("008dcdae-bde0-4834-a967-d13d681037ae") == "AI3Nrr3gSDSpZ9E9aBA3rg"
    assert slug_to_uuid("AI3Nrr3gSDSpZ9E9aBA3rg") == "008dcdae-bde0-4834-a967-d13d681037ae"
    assert slug_to_uuid("Ai-bmuTzS7eRBYFhSPnZ1w") == "022f9b9a-e4f3-4bb7-9105-816148f9d9d7"
    with pytest.raises(ValueError):
        slug_to_uuid("short")


def test_placeholder_project_fails_the_schema(job_messages):
    message = copy.deepcopy(job_messages[0])
    message["origin"]["project"] = "set by test"
    with pytest.raises(InvalidJobMessage) as caught:
        job_message_to_datum(message)
    assert caught.value.path == "$.origin.project"
    assert "set by test" in caught.value.reason
    assert caught.value.body is message


@pytest.mark.parametrize(
    ("state", "result", "job_kind", "is_retried", "expected"),
    [
        ("completed", "success", "test", False, "success"),
        ("completed", "fail", "test", False, "testfailed"),
        ("completed", "fail", "build", False, "busted"),
        ("completed", "fail", "other", False, "busted"),
        ("completed", "canceled", "test", False, "usercancel"),
        ("completed", "exception", "test", False, "exception"),
        ("completed", "superseded", "test", False, "superseded"),
        ("completed", "retry", "test", False, "retry"),
        ("completed", "success", "test", True, "retry"),
        ("running", "fail", "test", False, "unknown"),
        ("pending", "success", "test", True, "unknown"),
    ],
)
def test_result_mapping(message, state, result, job_kind, is_retried, expected):
    message.update(state=state, result=result, jobKind=job_kind, isRetried=is_retried)
    assert job_result(message) == expected
    assert job_message_to_datum(message).datum["job"]["result"] == expected


def test_completed_without_result_is_unknown(message):
    del message["result"]
    assert job_message_to_datum(message).datum["job"]["result"] == "unknown"


def test_one_machine_stands_in_for_the_other(message):
    run_machine = message.pop("buildMachine")
    job = job_message_to_datum(message).datum["job"]
    expected = {"platform": run_machine["platform"], "os_name": run_machine["os"], "architecture": "x86_64"}
    assert job["build_platform"] == job["machine_platform"] == expected
    assert job["machine"] == run_machine["name"]

    message["buildMachine"] = {"platform": "android-5-0", "os": "android", "architecture": "armv7"}
    job = job_message_to_datum(message).datum["job"]
    assert job["build_platform"] == {"platform": "android-5-0", "os_name": "android", "architecture": "armv7"}
    assert job["machine_platform"] == expected
    assert job["machine"] == run_machine["name"]  # the build machine has no name


def test_defaults_for_absent_optional_fields(message):
    for key in ("buildMachine", "runMachine", "labels", "owner", "reason", "productName", "logs", "jobInfo"):
        del message[key]
    del message["display"]["groupName"]
    job = job_message_to_datum(message).datum["job"]
    assert job["machine"] == "unknown"
    assert job["build_platform"] == {"platform": "", "os_name": "", "architecture": ""}
    assert job["option_collection"] == {}
    assert (job["who"], job["reason"], job["product_name"], job["group_name"]) == ("unknown",) * 4
    assert job["log_references"] == [] and job["perfherder_data_references"] == []
    assert job["tier"] == 1


def test_time_fields_are_only_set_when_given(message):
    del message["timeStarted"], message["timeCompleted"]
    message["state"] = "pending"
    job = job_message_to_datum(message).datum["job"]
    assert job["submit_timestamp"] == 1740638717
    assert "start_timestamp" not in job and "end_timestamp" not in job


def test_unparsable_time_is_an_invalid_message(message):
    message["timeStarted"] = "yesterday"
    with pytest.raises(InvalidJobMessage) as caught:
        job_message_to_datum(message)
    assert caught.value.path == "$.timeStarted"


def test_symbol_chunk_tier_labels_and_coalesced(message):
    message["display"].update(jobSymbol="M", chunkId=3)
    message.update(tier=2, labels=["asan", "opt"], coalesced=["abc/0", "def/1"])
    _, datum = job_message_to_datum(message)
    assert datum["job"]["job_symbol"] == "M3"
    assert datum["job"]["tier"] == 2
    assert datum["job"]["option_collection"] == {"asan": True, "opt": True}
    assert datum["superseded"] == ["abc/0", "def/1"]


def test_errorsummary_and_perfherder_links_become_references(message):
    base = "https://tc.example.org/api/queue/v1/task/AI3Nrr3gSDSpZ9E9aBA3rg/runs/0/artifacts/public"
    message["jobInfo"]["links"] = [
        {"url": f"{base}/test_info/mochitest_errorsummary.log", "linkText": "mochitest_errorsummary.log", "label": "a"},
        {"url": f"{base}/perfherder-data-build.json", "linkText": "perfherder-data-build.json", "label": "a"},
        {"url": f"{base}/perfherder-data-build.txt", "linkText": "perfherder-data-build.txt", "label": "a"},
        {"url": f"{base}/other.json", "linkText": "other.json", "label": "a"},
    ]
    job = job_message_to_datum(message).datum["job"]
    assert job["log_references"][1:] == [
        {"name": "errorsummary_json", "url": f"{base}/test_info/mochitest_errorsummary.log", "parse_status": "pending"}
    ]
    assert job["perfherder_data_references"] == [
        {"name": "perfherder-data-build.json", "url": f"{base}/perfherder-data-build.json", "parse_status": "pending"}
    ]


def test_long_owner_is_truncated_not_rejected(message):
    message["owner"] = "x" * 60 + "@example.org"
    checked = validate_job_message(message)
    assert checked["owner"] == "x" * 49
    assert len(message["owner"]) == 72  # the caller's message is left alone
    assert job_message_to_datum(message).datum["job"]["who"] == "x" * 49


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m.pop("taskId"),
        lambda m: m.update(taskId="bad guid!"),
        lambda m: m.update(taskId="x" * 51),
        lambda m: m.update(state="finished"),
        lambda m: m.update(result="fail", jobKind="unit"),
        lambda m: m.update(tier=4),
        lambda m: m.update(version=2),
        lambda m: m.update(unexpected=True),
        lambda m: m["origin"].update(revision="abc"),
        lambda m: m["origin"].update(revision="9C6E4C31AD26EFDAD0B9AF47A2B530BC414CE2C3"),
        lambda m: m["display"].pop("jobName"),
        lambda m: m["display"].update(jobSymbol="x" * 26),
        lambda m: m["display"].update(chunkId=0),
        lambda m: m["runMachine"].pop("os"),
        lambda m: m["runMachine"].update(name="has space"),
        lambda m: m.update(labels=["ok", ""]),
        lambda m: m["logs"].append({"url": "https://example.org/x.log"}),
        lambda m: m["jobInfo"]["links"].append({"url": "u", "linkText": "t", "label": "l", "extra": 1}),
        lambda m: m.update(coalesced=["ok", "not ok"]),
        lambda m: m.update(retryId=-1),
        lambda m: m.update(isRetried="yes"),
    ],
)
def test_invalid_messages_are_rejected_by_both_validators(message, mutate):
    mutate(message)
    reference = jsonschema.Draft6Validator(load_schema("pulse-job.yml"))
    assert not reference.is_valid(message)
    assert schema_errors("pulse-job.yml", message) is not None
    with pytest.raises(InvalidJobMessage):
        job_message_to_datum(message)


def test_formats_are_not_asserted_like_upstream(message):
    message["logs"][0]["url"] = "not a uri"
    message["jobInfo"]["summary"] = "free text"
    assert schema_errors("pulse-job.yml", message) is None


def test_non_object_message_is_invalid():
    with pytest.raises(InvalidJobMessage):
        job_message_to_datum(["not", "a", "message"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-02-26T22:45:17-08:00", 1740638717),
        ("2019-06-26T19:13:51.402Z", 1561576431),
        ("2019-06-26T19:13:51.999+00:00", 1561576431),
        ("2019-06-26T19:13:51", 1561576431),
        ("1969-12-31T23:59:59.500000", -1),  # the fraction is dropped towards the earlier second
    ],
)
def test_to_timestamp(text, expected):
    assert to_timestamp(text) == expected
