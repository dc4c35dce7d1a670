"""Cached performance responses follow every change to the series and signatures under them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from treeherder import cycle
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.perf import store as perf_store

REPO = "mozilla-central"
T0 = 1_700_000_000


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


def _perf_job(push: dict, guid: str, value: float, *, unit: str = "ms", submitted: int | None = None) -> dict:
    suite = {"name": "tp5o", "value": value, "unit": unit, "subtests": [{"name": "a.com", "value": value / 2}]}
    artifact = {"performance_data": {"framework": {"name": "talos"}, "suites": [suite]}}
    submitted = submitted if submitted is not None else int(time.time())
    return factories.job(
        push["revision"],
        guid=guid,
        artifacts=[{"type": "json", "name": "performance_data", "blob": artifact}],
        submit_timestamp=submitted,
        start_timestamp=submitted + 60,
        end_timestamp=submitted + 600,
    )


def test_series_and_signature_lists_are_rebuilt_when_their_data_changes(client, app, ingestor, database):
    pushes = [factories.push(8000 + i, timestamp=T0 + 3600 * i) for i in range(3)]
    ingestor.store_pushes(REPO, parse_push_collection(pushes))
    old = int((datetime.now(UTC) - timedelta(days=400)).timestamp())
    ingestor.store_jobs(REPO, parse_job_collection([_perf_job(pushes[0], "p0", 100.0, submitted=old)]))
    cache = app.state.response_cache
    signatures = client.get(f"/api/project/{REPO}/performance/signatures/").json()
    summary = next(s for s in signatures.values() if "test" not in s)
    data_url = f"/api/project/{REPO}/performance/data/"

    def points() -> list[tuple]:
        body = client.get(data_url, params={"signature_id": summary["id"]}).json()
        return [(p["value"], p["job_id"] is not None) for p in body.get(summary["signature_hash"], [])]

    def unit() -> str:
        listed = client.get(f"/api/project/{REPO}/performance/signatures/").json()
        return listed[str(summary["id"])]["measurement_unit"]

    assert points() == [(100.0, True)]
    assert points() == [(100.0, True)]
    assert unit() == "ms"
    assert unit() == "ms"
    assert cache.hits == 3

    ingestor.store_jobs(REPO, parse_job_collection([_perf_job(pushes[1], "p1", 110.0)]))  # a new point
    assert points() == [(100.0, True), (110.0, True)]

    # The same series sent again by an older push, with another unit: the signature changes, its newest time not.
    ingestor.store_jobs(REPO, parse_job_collection([_perf_job(pushes[0], "p0-again", 100.0, unit="s")]))
    assert unit() == "s"

    # The first job expires: its point stays, without its job.
    assert cycle.cycle_jobs(database, days=365) == 1
    assert sorted(points()) == [(100.0, False), (100.0, True), (110.0, True)]
    assert cache.hits == 3


def test_series_window_moves_with_time(client, app, ingestor):
    now = int(datetime.now(UTC).timestamp())
    pushes = [factories.push(8100 + i, timestamp=now - 3 + i) for i in range(2)]
    ingestor.store_pushes(REPO, parse_push_collection(pushes))
    ingestor.store_jobs(REPO, parse_job_collection([_perf_job(p, f"w{i}", 10.0 + i) for i, p in enumerate(pushes)]))
    signatures = client.get(f"/api/project/{REPO}/performance/signatures/").json()
    summary = next(s for s in signatures.values() if "test" not in s)

    def values() -> list[float]:
        params = {"signature_id": summary["id"], "interval": 5}
        body = client.get(f"/api/project/{REPO}/performance/data/", params=params).json()
        return [p["value"] for p in body.get(summary["signature_hash"], [])]

    assert values() == [10.0, 11.0]
    deadline = now + 10
    while values() and int(datetime.now(UTC).timestamp()) < deadline:
        time.sleep(0.2)  # both points age out of the five-second window with no write in between
    assert values() == []
