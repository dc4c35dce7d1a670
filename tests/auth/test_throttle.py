"""Per-credential throttling: shared by every process on one database, per scope, with upstream's 429 answer."""

from __future__ import annotations

import dataclasses

import pytest

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.conftest import LiveServer, make_app
from treeherder.auth.throttle import Rate, retry_after_seconds, throttled_detail

REPO = "mozilla-central"
JOBS = f"/api/project/{REPO}/jobs/"
PUSHES = f"/api/project/{REPO}/push/"
# A day-long window: the test never straddles a window boundary.
TIGHT = (3, 86400)


@pytest.fixture
def tight_servers(settings, database):
    """Two API processes on one database, both allowing 3 job and 3 push requests per credential per day."""
    tight = dataclasses.replace(settings, throttle_jobs=TIGHT, throttle_push=TIGHT)
    servers = [LiveServer(make_app(tight, database)).start() for _ in range(2)]
    clients = [server.client() for server in servers]
    yield clients
    for http in clients:
        http.close()
    for server in servers:
        server.stop()


def test_throttled_beyond_the_rate_across_processes(tight_servers, database):
    first, second = tight_servers
    bot = issue(database, "bot")
    pushed = factories.push()
    assert send(first, bot, "POST", PUSHES, [pushed]).response.status_code == 200
    job = [factories.job(pushed["revision"])]
    assert send(first, bot, "POST", JOBS, job).response.status_code == 200
    assert send(second, bot, "POST", JOBS, job).response.status_code == 200
    # A signed read of the jobs endpoint counts toward the same budget, as upstream.
    assert send(first, bot, "GET", JOBS, content_type="").response.status_code != 429
    throttled = send(second, bot, "POST", JOBS, job)
    assert throttled.response.status_code == 429
    retry_after = int(throttled.response.headers["Retry-After"])
    assert 0 < retry_after <= 86400
    assert throttled.response.json() == {"detail": f"Request was throttled. Expected available in {retry_after} seconds."}
    assert throttled.server_signature_is_valid()
    # Other scopes and other credentials keep their own budgets; anonymous reads are never throttled.
    assert send(first, bot, "POST", PUSHES, [factories.push()]).response.status_code == 200
    other = issue(database, "other")
    assert send(second, other, "POST", JOBS, job).response.status_code == 200
    for _ in range(5):
        assert first.get("/api/repository/").status_code == 200


def test_refused_requests_are_not_throttled_or_counted(tight_servers, database):
    first, _ = tight_servers
    bot = issue(database, "bot")
    for _ in range(5):
        assert send(first, bot, "POST", JOBS, [], secret="wrong").response.status_code == 403
    assert send(first, bot, "POST", JOBS, []).response.status_code == 200


def test_fixed_window_counts_and_resets(database):
    rate = Rate(2, 60)
    start = 1_800_000_000  # a multiple of 60
    with database.write() as conn:
        assert retry_after_seconds(conn, "k:jobs", rate, now=start + 10) is None
        assert retry_after_seconds(conn, "k:jobs", rate, now=start + 20) is None
        assert retry_after_seconds(conn, "k:jobs", rate, now=start + 30.5) == 30
        assert retry_after_seconds(conn, "k:jobs", rate, now=start + 59.2) == 1
        assert retry_after_seconds(conn, "other:jobs", rate, now=start + 59.2) is None
        # The next window starts from zero.
        assert retry_after_seconds(conn, "k:jobs", rate, now=start + 60) is None


def test_throttled_detail_wording():
    assert throttled_detail(12) == "Request was throttled. Expected available in 12 seconds."
    assert throttled_detail(1) == "Request was throttled. Expected available in 1 second."
