"""Fixtures for the thclient tests. These tests use only the ``thclient`` package, never the server package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Intercept every request made through ``requests``; unexpected URLs fail the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
