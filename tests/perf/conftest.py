"""Shared helpers for perf tests: fixture performance objects and their job context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treeherder.perf.artifact import JobContext
from treeherder.perf.signature import option_collection_hash

OPT_HASH = option_collection_hash(["opt"])


@pytest.fixture(scope="session")
def perfherder_objects(shared_fixtures: Path) -> dict[str, list[dict]]:
    """PERFHERDER_DATA objects of the two fixture build logs, keyed by log name."""
    folder = shared_fixtures / "perf" / "perfherder_data"
    return {path.name.split(".")[0]: json.loads(path.read_text()) for path in sorted(folder.glob("*.perfherder.json"))}


@pytest.fixture()
def job_context() -> JobContext:
    return JobContext(
        repository="mozilla-central",
        machine_platform="windows2012-aarch64",
        option_collection_hash=OPT_HASH,
        push_timestamp=1_700_000_000,
        push_id=1,
        job_id=2,
    )
