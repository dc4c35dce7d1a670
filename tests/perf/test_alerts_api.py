"""Alert summaries and alerts over real HTTP, from alerts generated on stored data."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.perf.helpers import REPO, T0, noisy, store_series
from treeherder.db import tables as t
from treeherder.perf import store as perf_store
from treeherder.perf.generate import process_pending


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


@pytest.fixture
def generated(database, ingestor):
    """Two series regress on push 30 (one summary), a third on push 60 of a later range (another summary)."""
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    first = store_series(
        ingestor,
        {
            "a": noisy(30, 100.0, 1.0, seed=1) + noisy(20, 120.0, 1.0, seed=2),
            "b": noisy(30, 50.0, 0.5, seed=3) + noisy(20, 40.0, 0.5, seed=4),
        },
    )
    process_pending(database, now=T0 + 3600 * 50)
    return first


def test_summary_list_shape(client, generated):
    response = client.get("/api/performance/alertsummary/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (summary,) = body["results"]
    assert summary["push_id"] == generated[30] and summary["prev_push_id"] == generated[29]
    assert summary["repository"] == REPO and summary["framework"] == 1 and summary["status"] == 0
    assert summary["push_timestamp"] == T0 + 3600 * 30
    assert summary["created"] == "2023-11-16T04:13:20"  # the push time of the change (T0 + 30 h, UTC)
    assert summary["triage_due_date"] and summary["bug_due_date"]
    assert set(summary) >= {
        "original_revision", "first_triaged", "related_alerts", "bug_number", "bug_status", "bug_updated",
        "issue_tracker", "notes", "revision", "prev_push_revision", "original_prev_push_revision",
        "assignee_username", "assignee_email", "performance_tags", "duplicated_summaries", "monitored_alerts",
    }  # fmt: skip
    alerts = {a["series_signature"]["suite"]: a for a in summary["alerts"]}
    assert set(alerts) == {"a", "b"}
    regression = alerts["a"]
    assert regression["is_regression"] and not alerts["b"]["is_regression"]
    assert regression["prev_value"] == round(regression["prev_value"], 2)
    assert regression["series_signature"]["machine_platform"] == "linux64"
    assert regression["taskcluster_metadata"] == {"task_id": "task000000000000005030", "retry_id": 0}
    assert regression["prev_taskcluster_metadata"] == {"task_id": "task000000000000005029", "retry_id": 0}
    assert regression["summary_id"] == summary["id"] and regression["status"] == 0


def test_summary_filters_and_detail(client, generated):
    def count(**params):
        return client.get("/api/performance/alertsummary/", params=params).json()["count"]

    assert count(framework=1) == 1 and count(framework=2) == 0
    assert count(repository=1) == 1 and count(repository=4) == 0
    assert count(status=0) == 1 and count(status=4) == 0
    assert count(hide_improvements="true") == 1
    assert count(filter_text="linux64 a") == 1 and count(filter_text="windows") == 0
    summary_id = client.get("/api/performance/alertsummary/").json()["results"][0]["id"]
    one = client.get(f"/api/performance/alertsummary/{summary_id}/")
    assert one.status_code == 200 and one.json()["id"] == summary_id
    missing = client.get("/api/performance/alertsummary/999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No PerformanceAlertSummary matches the given query."}
    bad = client.get("/api/performance/alertsummary/", params={"ordering": "drop table"})
    assert bad.status_code == 400


def test_summary_paging(client, generated):
    body = client.get("/api/performance/alertsummary/", params={"limit": 1, "page": 1}).json()
    assert body["count"] == 1 and len(body["results"]) == 1 and body["next"] is None
    assert client.get("/api/performance/alertsummary/", params={"page": 2}).status_code == 404


def test_alert_list_cursor_paging(database, ingestor, client):
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    series = {f"s{i}": noisy(30, 100.0, 1.0, seed=i) + noisy(20, 130.0, 1.0, seed=100 + i) for i in range(12)}
    store_series(ingestor, series)
    process_pending(database, now=T0 + 3600 * 50)
    first = client.get("/api/performance/alert/").json()
    assert len(first["results"]) == 10 and first["previous"] is None and first["next"]
    ids = [a["id"] for a in first["results"]]
    assert ids == sorted(ids, reverse=True)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None and second["previous"]
    assert max(a["id"] for a in second["results"]) < min(ids)
    back = client.get(second["previous"]).json()
    assert [a["id"] for a in back["results"]] == ids
    one = client.get(f"/api/performance/alert/{ids[0]}/").json()
    assert one["id"] == ids[0] and one["detector"] == "ttest"
    assert client.get("/api/performance/alert/999999/").status_code == 404
