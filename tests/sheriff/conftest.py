"""Fixtures for sheriffing tests: people, signed-in HTTP clients, failed jobs to classify."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests import factories
from tests.conftest import TEST_REPOSITORY
from treeherder.auth.users import User, create_user
from treeherder.ingest.parse import parse_job_collection, parse_push_collection

PASSWORD = "correct horse battery"


@pytest.fixture
def sheriff(database) -> User:
    return create_user(database, "sheriff@example.org", PASSWORD, sheriff=True)


@pytest.fixture
def visitor(database) -> User:
    """A signed-up user who is not a sheriff."""
    return create_user(database, "visitor@example.org", PASSWORD)


def sign_in(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """POST the login and copy the CSRF cookie into the header that writes need, as the UI does."""
    answer = http.post("/api/auth/login/", json={"email": email, "password": password})
    if answer.status_code == 200:
        http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
    return answer


@pytest.fixture
def signed_in(live_server) -> Callable[[str], httpx.Client]:
    """signed_in(email) -> an HTTP client with a session for that user (closed after the test)."""
    clients: list[httpx.Client] = []

    def _signed_in(email: str) -> httpx.Client:
        http = live_server.client()
        clients.append(http)
        assert sign_in(http, email).status_code == 200
        return http

    yield _signed_in
    for http in clients:
        http.close()


@pytest.fixture
def failed_jobs(ingestor) -> list[int]:
    """Three testfailed jobs on one push of mozilla-central (job ids)."""
    pushed = factories.push(timestamp=1_700_000_000)
    ingestor.store_pushes(TEST_REPOSITORY, parse_push_collection([pushed]))
    jobs = [factories.job(pushed["revision"], result="testfailed") for _ in range(3)]
    stored = ingestor.store_jobs(TEST_REPOSITORY, parse_job_collection(jobs))
    return [stored.job_ids[item["job"]["job_guid"]] for item in jobs]
