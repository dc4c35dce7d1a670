"""Job builders, validation rules and their messages, collections, chunks and post_collection."""

from __future__ import annotations

import json

import pytest
from client_support import HAWK_ID, HAWK_SECRET, SERVER, verify_hawk
from thclient import (
    TreeherderClient,
    TreeherderClientError,
    TreeherderCollection,
    TreeherderData,
    TreeherderHTTPError,
    TreeherderJob,
    TreeherderJobCollection,
)

REVISION = "0686a4d3fa477cb0415c9ca590177e4b03919b64"


def valid_job(guid: str = "808f4f1372895eda5ecd65f2371ebe67a2a9af9b") -> TreeherderJob:
    job = TreeherderJob()
    job.add_revision(REVISION)
    job.add_project("mozilla-central")
    job.add_job_guid(guid)
    return job


def build_job_from_datum(datum: dict) -> TreeherderJob:
    """Rebuild an upstream job datum with the public setters only, as a submission script would."""
    source = datum["job"]
    job = TreeherderJobCollection().get_job()
    job.add_revision(datum["revision"])
    job.add_project(datum["project"])
    job.add_coalesced_guid(datum.get("superseded", []))
    job.add_job_guid(source["job_guid"])
    job.add_job_name(source["name"])
    job.add_job_symbol(source["job_symbol"])
    job.add_group_name(source["group_name"])
    job.add_group_symbol(source["group_symbol"])
    job.add_description(source["desc"])
    job.add_product_name(source["product_name"])
    job.add_state(source["state"])
    job.add_result(source["result"])
    job.add_reason(source["reason"])
    job.add_who(source["who"])
    job.add_submit_timestamp(source["submit_timestamp"])
    job.add_start_timestamp(source["start_timestamp"])
    job.add_end_timestamp(source["end_timestamp"])
    job.add_machine(source["machine"])
    build, machine = source["build_platform"], source["machine_platform"]
    job.add_build_info(build["os_name"], build["platform"], build["architecture"])
    job.add_machine_info(machine["os_name"], machine["platform"], machine["architecture"])
    job.add_option_collection(source["option_collection"])
    for log in source["log_references"]:
        job.add_log_reference(log["name"], log["url"], log["parse_status"])
    for artifact in source["artifacts"]:
        job.add_artifact(artifact["name"], artifact["type"], artifact["blob"])
    return job


# The skeleton and setters.


def test_new_job_has_the_upstream_skeleton():
    data = TreeherderJob().data
    assert data["revision"] == "" and data["project"] == "" and data["superseded"] == []
    job = data["job"]
    assert set(job) == {
        "job_guid", "name", "desc", "job_symbol", "group_name", "group_symbol", "product_name", "state", "result",
        "reason", "who", "submit_timestamp", "start_timestamp", "end_timestamp", "machine", "build_platform",
        "machine_platform", "option_collection", "log_references", "artifacts",
    }
    assert job["build_platform"] == {"os_name": "", "platform": "", "architecture": ""}
    assert job["machine_platform"] == {"os_name": "", "platform": "", "architecture": ""}
    assert job["build_platform"] is not job["machine_platform"]
    assert TreeherderJob().data["job"]["log_references"] is not job["log_references"]


def test_given_data_is_used_as_is_and_empty_data_means_skeleton():
    datum = {"revision": REVISION, "project": "x", "job": {"job_guid": "g"}}
    assert TreeherderJob(datum).data is datum
    assert TreeherderJob({}).data == TreeherderJob().data
    assert TreeherderData({}).data == {}


def test_every_upstream_datum_rebuilds_identically_with_setters(shared_fixtures):
    data = json.loads((shared_fixtures / "jobs" / "legacy_client_job_data.json").read_text())
    assert len(data) == 100
    collection = TreeherderJobCollection()
    for datum in data:
        job = build_job_from_datum(datum)
        job.validate()
        for key, value in datum["job"].items():
            assert job.data["job"][key] == value, key
        assert job.data["superseded"] == datum.get("superseded", [])
        collection.add(job)
    collection.validate()
    assert json.loads(collection.to_json())[0]["job"]["job_guid"] == data[0]["job"]["job_guid"]


def test_add_tier_and_option_collection_merge():
    job = TreeherderJob()
    job.add_tier(2)
    job.add_option_collection({"opt": True})
    job.add_option_collection({"asan": True})
    job.add_option_collection({})
    assert job.data["job"]["tier"] == 2
    assert job.data["job"]["option_collection"] == {"opt": True, "asan": True}


def test_add_coalesced_guid_extends_superseded_and_ignores_empty():
    job = TreeherderJob()
    job.add_coalesced_guid(["a", "b"])
    job.add_coalesced_guid([])
    job.add_superseded_guid(["c"])
    assert job.data["superseded"] == ["a", "b", "c"]


def test_add_log_reference_appends_only_complete_references():
    job = TreeherderJob()
    job.add_log_reference("live_backing_log", "https://logs/x.log")
    job.add_log_reference("", "https://logs/y.log")
    job.add_log_reference("errorsummary_json", "", "parsed")
    job.add_log_reference("errorsummary_json", "https://logs/e.log", "parsed")
    assert job.data["job"]["log_references"] == [
        {"url": "https://logs/x.log", "name": "live_backing_log", "parse_status": "pending"},
        {"url": "https://logs/e.log", "name": "errorsummary_json", "parse_status": "parsed"},
    ]


def test_add_log_reference_rejects_unknown_parse_status():
    with pytest.raises(TreeherderClientError) as raised:
        TreeherderJob().add_log_reference("log", "https://logs/x.log", "done")
    assert str(raised.value) == "TreeherderJob: Invalid parse_status 'done': must be one of: pending, parsed, error"
    assert raised.value.Errors == []


def test_add_artifact_records_current_guid_and_skips_empty_blob():
    job = TreeherderJob()
    job.add_job_guid("guid-1")
    job.add_artifact("Job Info", "json", {"job_details": []})
    job.add_artifact("empty", "json", {})
    assert job.data["job"]["artifacts"] == [
        {"name": "Job Info", "type": "json", "blob": {"job_details": []}, "job_guid": "guid-1"}
    ]


def test_to_json_round_trips():
    job = valid_job()
    assert json.loads(job.to_json()) == job.data


# Validation rules and their messages.


def expected_message(prop: str, details: str, data: dict) -> str:
    return f"TreeherderJob structure validation errors detected for property:{prop}\n{details}\n{json.dumps(data)}\n"


def test_valid_job_passes_validation():
    valid_job().validate()


def test_empty_revision_is_reported_first():
    job = TreeherderJob()
    with pytest.raises(TreeherderClientError) as raised:
        job.validate()
    assert str(raised.value) == expected_message("revision", "\tValue not defined for revision\n", job.data)


def test_missing_property_reports_dotted_path():
    job = TreeherderJob({"revision": REVISION, "project": "p", "job": {"name": "x"}})
    with pytest.raises(TreeherderClientError) as raised:
        job.validate()
    details = "\tThe required Property, job.job_guid, is missing\n\tValue not defined for job.job_guid\n"
    assert str(raised.value) == expected_message("job.job_guid", details, job.data)


def test_empty_project_is_not_defined():
    job = valid_job()
    job.add_project("")
    with pytest.raises(TreeherderClientError, match="property:project\n\tValue not defined for project\n"):
        job.validate()


def test_revision_longer_than_40_characters_is_rejected():
    job = valid_job()
    job.add_revision("a" * 41)
    with pytest.raises(TreeherderClientError) as raised:
        job.validate()
    details = f"\tValue length exceeds maximum 40 char limit: {'a' * 41}\n"
    assert str(raised.value) == expected_message("revision", details, job.data)


def test_job_guid_longer_than_50_characters_is_rejected():
    valid_job("g" * 50).validate()
    with pytest.raises(TreeherderClientError, match="Value length exceeds maximum 50 char limit: g{51}\n"):
        valid_job("g" * 51).validate()


def test_job_must_be_a_dict():
    job = TreeherderJob({"revision": REVISION, "project": "p", "job": ["not", "a", "dict"]})
    with pytest.raises(TreeherderClientError) as raised:
        job.validate()
    details = "\tThe value type, <class 'list'>, should be <class 'dict'>\n"
    assert str(raised.value) == expected_message("job", details, job.data)


def test_validate_accepts_custom_rules():
    job = valid_job()
    with pytest.raises(TreeherderClientError, match="property:job.machine\n\tValue not defined for job.machine"):
        job.validate({"job.machine": {}})


# Collections.


def test_collection_data_json_and_length():
    collection = TreeherderJobCollection()
    first, second = valid_job("g1"), valid_job("g2")
    collection.add(first)
    collection.add(second)
    assert collection.endpoint_base == "jobs"
    assert collection.get_collection_data() == [first.data, second.data]
    assert json.loads(collection.to_json()) == [first.data, second.data]
    assert len(collection) == 2


def test_collection_validate_raises_for_an_invalid_member():
    collection = TreeherderJobCollection([valid_job("g1"), TreeherderJob()])
    with pytest.raises(TreeherderClientError, match="property:revision"):
        collection.validate()


def test_get_chunks_yields_same_class_with_at_most_chunk_size_items():
    jobs = [valid_job(f"g{n}") for n in range(7)]
    collection = TreeherderJobCollection(jobs)
    chunks = list(collection.get_chunks(3))
    assert [len(chunk.data) for chunk in chunks] == [3, 3, 1]
    assert all(type(chunk) is TreeherderJobCollection and chunk.endpoint_base == "jobs" for chunk in chunks)
    assert [job for chunk in chunks for job in chunk.data] == jobs
    assert len(collection.data) == 7
    with pytest.raises(ValueError):
        list(collection.get_chunks(0))


def test_get_job_returns_a_job_not_yet_added():
    collection = TreeherderJobCollection()
    job = collection.get_job({"revision": REVISION, "project": "p", "job": {"job_guid": "g"}})
    assert isinstance(job, TreeherderJob) and job.data["job"]["job_guid"] == "g"
    assert collection.data == []


# post_collection.


def test_post_collection_rejects_non_collections():
    with pytest.raises(TreeherderClientError) as raised:
        TreeherderClient(server_url=SERVER).post_collection("autoland", [valid_job()])
    assert str(raised.value) == "<class 'list'> should be an instance of TreeherderCollection"


def test_post_collection_needs_endpoint_base_and_data():
    client = TreeherderClient(server_url=SERVER)
    with pytest.raises(TreeherderClientError) as raised:
        client.post_collection("autoland", TreeherderCollection("", [valid_job()]))
    assert str(raised.value) == "TreeherderClient: collection endpoint_base property not defined"
    with pytest.raises(TreeherderClientError) as raised:
        client.post_collection("autoland", TreeherderJobCollection())
    assert str(raised.value) == "TreeherderClient: collection data property not defined"


def test_post_collection_validates_before_sending(mocked):
    client = TreeherderClient(server_url=SERVER, client_id=HAWK_ID, secret=HAWK_SECRET)
    with pytest.raises(TreeherderClientError):
        client.post_collection("autoland", TreeherderJobCollection([TreeherderJob()]))
    assert len(mocked.calls) == 0


def test_post_collection_sends_signed_json_array_and_returns_response(mocked):
    mocked.post(f"{SERVER}/api/project/autoland/jobs/", json={"message": "Job successfully updated"})
    collection = TreeherderJobCollection([valid_job("g1"), valid_job("g2")])
    client = TreeherderClient(server_url=SERVER, client_id=HAWK_ID, secret=HAWK_SECRET)
    response = client.post_collection("autoland", collection)
    assert response.json() == {"message": "Job successfully updated"}
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == collection.get_collection_data()
    verify_hawk(request)


def test_post_is_never_retried(mocked):
    mocked.post(f"{SERVER}/api/project/autoland/jobs/", status=503)
    client = TreeherderClient(server_url=SERVER, client_id=HAWK_ID, secret=HAWK_SECRET, backoff=0)
    with pytest.raises(TreeherderHTTPError) as raised:
        client.post_collection("autoland", TreeherderJobCollection([valid_job()]))
    assert raised.value.response.status_code == 503
    assert len(mocked.calls) == 1


def test_post_error_is_logged_as_submitting(mocked, caplog):
    mocked.post(
        f"{SERVER}/api/project/autoland/jobs/",
        status=403,
        json={"detail": "No authorised credentials found with id test-client"},
    )
    client = TreeherderClient(server_url=SERVER, client_id=HAWK_ID, secret=HAWK_SECRET)
    with pytest.raises(TreeherderHTTPError):
        client.post_collection("autoland", TreeherderJobCollection([valid_job()]))
    assert "HTTPError 403 submitting to" in caplog.text
    assert "No authorised credentials found with id test-client" in caplog.text


def test_client_error_str_and_errors():
    error = TreeherderClientError("boom", ["detail"])
    assert str(error) == "boom" and error.Errors == ["detail"]
    assert TreeherderClientError("x").Errors == []
