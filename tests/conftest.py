"""Shared test configuration: where the upstream fixtures live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The upstream sample data sits beside the clone (../shared/fixtures); CI lays it out the same way.
SHARED_FIXTURES = Path(os.environ.get("TREEHERDER_SHARED_FIXTURES", REPO_ROOT.parent / "shared" / "fixtures"))


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(f"upstream fixtures not found at {SHARED_FIXTURES}; set TREEHERDER_SHARED_FIXTURES")
    return SHARED_FIXTURES
