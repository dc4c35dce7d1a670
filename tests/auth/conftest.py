"""Fixtures shared by the authentication tests."""

from __future__ import annotations

import pytest

from tests import factories
from treeherder.ingest.parse import parse_push_collection

REPO = "mozilla-central"


@pytest.fixture
def push_revision(ingestor) -> str:
    """The revision of a stored push of REPO, for jobs to refer to."""
    push = factories.push()
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    return push["revision"]
