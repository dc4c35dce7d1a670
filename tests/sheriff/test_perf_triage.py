"""Alert triage over HTTP by people: sheriffs change statuses, bugs, notes and assignees; others are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.perf.helpers import REPO, T0, noisy, store_series
from treeherder.auth.users import create_user
from treeherder.db import tables as t
from treeherder.perf import store as perf_store
from treeherder.perf.generate import process_pending

REGRESSING = noisy(30, 100.0, 1.0, seed=1) + noisy(20, 120.0, 1.0, seed=2)


@pytest.fixture
def alert(database, ingestor) -> dict[str, int]:
    """One generated regression alert and its summary."""
    perf_store.register()
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    store_series(ingestor, {"a": REGRESSING})
    process_pending(database, now=T0 + 3600 * 50)
    with database.read() as conn:
        alert_id, summary_id = conn.execute(select(t.performance_alert.c.id, t.performance_alert.c.summary_id)).one()
    return {"alert": alert_id, "summary": summary_id}


def test_sheriff_triages_a_summary_and_its_alert(signed_in, sheriff, alert, database):
    create_user(database, "perf-person@example.org", "assignee pass", sheriff=True)
    http = signed_in("sheriff@example.org")
    summary = http.put(
        f"/api/performance/alertsummary/{alert['summary']}/",
        json={"bug_number": 4242, "notes": "looking", "assignee_username": "email/perf-person@example.org", "status": 5},
    )
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["bug_number"], body["notes"], body["assignee_username"], body["status"]) == (
        4242, "looking", "email/perf-person@example.org", 5,
    )  # fmt: skip
    assert body["assignee_email"] == "perf-person@example.org"
    changed = http.patch(f"/api/performance/alert/{alert['alert']}/", json={"status": 4, "starred": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == 4 and changed.json()["starred"] is True
    assert changed.json()["classifier"] == "email/sheriff@example.org"
    nudged = http.put(f"/api/performance/alert/{alert['alert']}/", json={"push_id": 1, "prev_push_id": 2})
    assert nudged.status_code == 400 and nudged.json() == {"detail": "Nudging has been disabled"}
    unknown = http.put(f"/api/performance/alertsummary/{alert['summary']}/", json={"assignee_username": "email/nobody@x.org"})
    assert unknown.status_code == 400 and "assignee_username" in unknown.json()


def test_non_sheriffs_cannot_triage(client, signed_in, visitor, alert):
    anonymous = client.put(f"/api/performance/alertsummary/{alert['summary']}/", json={"status": 5})
    assert anonymous.status_code == 403
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    http = signed_in("visitor@example.org")
    refused = http.put(f"/api/performance/alert/{alert['alert']}/", json={"status": 4})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You do not have permission to perform this action."}
    assert http.post("/api/performance/alertsummary/", json={"repository_id": 1}).status_code == 403
    assert client.get(f"/api/performance/alert/{alert['alert']}/").json()["status"] == 0


def test_manual_summary_and_alert_answers(signed_in, sheriff, alert, database):
    http = signed_in("sheriff@example.org")
    with database.read() as conn:
        repo_id, framework_id, push_id, prev_id = conn.execute(
            select(t.performance_alert_summary.c.repository_id, t.performance_alert_summary.c.framework_id,
                   t.performance_alert_summary.c.push_id, t.performance_alert_summary.c.prev_push_id)  # fmt: skip
        ).one()
    same = http.post("/api/performance/alertsummary/",
                     json={"repository_id": repo_id, "framework_id": framework_id, "push_id": push_id, "prev_push_id": push_id})  # fmt: skip
    assert same.status_code == 400 and same.json() == "IDs of push & previous push cannot be identical"
    made = http.post("/api/performance/alertsummary/",
                     json={"repository_id": repo_id, "framework_id": framework_id, "push_id": push_id, "prev_push_id": prev_id})  # fmt: skip
    assert made.json() == {"alert_summary_id": alert["summary"]}
    missing = http.post("/api/performance/alert/", json={"summary_id": alert["summary"]})
    assert missing.status_code == 400
    assert missing.json() == {"message": "Summary and signature ids necessary to create alert"}


def test_bug_status_is_recorded_and_cleared_by_a_new_bug(signed_in, sheriff, alert):
    http = signed_in("sheriff@example.org")
    url = f"/api/performance/alertsummary/{alert['summary']}/"
    assert http.get(url).json()["bug_status"] is None
    assert http.put(url, json={"bug_number": 4242}).status_code == 200
    filed = http.put(url, json={"bug_number": 4242, "bug_status": 1})
    assert filed.status_code == 200, filed.text
    assert (filed.json()["bug_number"], filed.json()["bug_status"]) == (4242, 1)
    assert http.put(url, json={"bug_status": "5"}).json()["bug_status"] == 5
    bad = http.put(url, json={"bug_status": 9})
    assert bad.status_code == 400 and bad.json() == {"bug_status": ['"9" is not a valid choice.']}
    assert http.get(url).json()["bug_status"] == 5
    moved = http.put(url, json={"bug_number": 5353, "bug_status": 5})  # a new bug: the old bug's status goes
    assert (moved.json()["bug_number"], moved.json()["bug_status"]) == (5353, None)
