"""Helpers for the read-API tests: storing REST-format pushes and jobs through the real ingestion path."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import TEST_REPOSITORY, load_json
from treeherder.ingest.parse import parse_job_collection, parse_push_collection


@pytest.fixture
def store(ingestor) -> Callable:
    """store(pushes=[...], jobs=[...], repository=...) -> (revision -> push id, guid -> job id)."""

    def _store(pushes=(), jobs=(), repository: str = TEST_REPOSITORY):
        push_ids = ingestor.store_pushes(repository, parse_push_collection(list(pushes))) if pushes else {}
        job_ids = ingestor.store_jobs(repository, parse_job_collection(list(jobs))).job_ids if jobs else {}
        return push_ids, job_ids

    return _store


@pytest.fixture
def push_fixture(shared_fixtures) -> list[dict]:
    """The 22 pushes of pushes/push_data.json, as JSON."""
    return load_json(shared_fixtures / "pushes" / "push_data.json")


@pytest.fixture
def job_fixture(shared_fixtures) -> list[dict]:
    """The 122 job datums of jobs/job_data.txt, as JSON."""
    lines = (shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]
