"""Parsing job collections: the fast paths for common values give what the full checks give, and reject the same."""

from __future__ import annotations

import pytest

from tests import factories
from treeherder.ingest.parse import InvalidCollection, parse_job_collection

REV = factories.revision("parse")


def _job(**fields) -> dict:
    return {"revision": REV, "job": factories.job(REV, **fields)["job"]}


def _errors(items: list[dict]) -> list[tuple[int, str]]:
    with pytest.raises(InvalidCollection) as caught:
        parse_job_collection(items)
    return [(error.index, error.field) for error in caught.value.errors]


def test_a_platform_named_by_many_items_is_read_the_same_for_each():
    linux = {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"}
    empty = {"platform": "", "os_name": "", "architecture": ""}
    jobs = parse_job_collection(
        [_job(build_platform=linux, machine_platform=empty), _job(build_platform=dict(linux), machine_platform=empty)]
    )
    for job in jobs:
        assert (job.build_platform.os_name, job.build_platform.platform, job.build_platform.architecture) == (
            "linux", "linux64", "x86_64",
        )  # fmt: skip
        # Upstream keeps empty platform parts as given.
        assert (job.machine_platform.os_name, job.machine_platform.platform) == ("", "")


def test_an_invalid_platform_is_reported_for_every_item_naming_it():
    too_long = {"platform": "p" * 101, "os_name": "linux", "architecture": "x86_64"}
    items = [_job(build_platform=too_long), _job(build_platform=dict(too_long))]
    assert _errors(items) == [(0, "job.build_platform.platform"), (1, "job.build_platform.platform")]


def test_absent_platform_parts_default_to_unknown_after_a_complete_one_was_seen():
    parse_job_collection([_job(machine_platform={"platform": "win", "os_name": "windows", "architecture": "x86"})])
    (job,) = parse_job_collection([_job(machine_platform={"platform": "win"})])
    assert (job.machine_platform.os_name, job.machine_platform.architecture) == ("unknown", "unknown")


@pytest.mark.parametrize(
    ("given", "stored"),
    [(1_700_000_000, 1_700_000_000), ("1700000000", 1_700_000_000), (1.7e9, 1_700_000_000), (None, 0)],
)
def test_timestamps(given, stored):
    (job,) = parse_job_collection([_job(submit_timestamp=given)])
    assert job.submit_timestamp == stored


@pytest.mark.parametrize("given", [-1, 32503680001, True, "soon"])
def test_bad_timestamps_are_refused(given):
    assert _errors([_job(start_timestamp=given)]) == [(0, "job.start_timestamp")]


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [("name", "", "unknown"), ("name", 12, "12"), ("machine", "", ""), ("build_system_type", None, "buildbot"),
     ("build_system_type", "", ""), ("build_system_type", "taskcluster", "taskcluster")],
)  # fmt: skip
def test_text_fields(field, value, stored):
    (job,) = parse_job_collection([_job(**{field: value})])
    assert getattr(job, field) == stored


@pytest.mark.parametrize(("field", "limit"), [("name", 140), ("machine", 100), ("build_system_type", 25)])
def test_text_beyond_its_limit_is_refused(field, limit):
    assert _errors([_job(**{field: "x" * (limit + 1)})]) == [(0, f"job.{field}")]
    (job,) = parse_job_collection([_job(**{field: "x" * limit})])
    assert getattr(job, field) == "x" * limit


def test_log_references():
    logs = [
        {"name": "live_backing_log", "url": "https://example.org/log", "parse_status": "parsed"},
        {"url": "https://example.org/other", "parse_status": "error"},
    ]
    (job,) = parse_job_collection([_job(log_references=logs)])
    assert [(ref.name, ref.url, ref.parse_status) for ref in job.logs] == [
        ("live_backing_log", "https://example.org/log", "parsed"),
        ("unknown", "https://example.org/other", "pending"),
    ]
    bad = [{"name": "n" * 51, "url": "u" * 256}, "not an object", {"name": "x"}]
    assert _errors([_job(log_references=bad)]) == [
        (0, "job.log_references[0].url"),
        (0, "job.log_references[0].name"),
        (0, "job.log_references[1]"),
        (0, "job.log_references[2].url"),
    ]
