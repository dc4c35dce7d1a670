"""Sheriffing writes: manual summaries and alerts, status changes and their effect on summaries."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.perf.helpers import REPO, T0, noisy, store_series
from treeherder.db import tables as t
from treeherder.perf import store as perf_store
from treeherder.perf.alerts import AlertStatus, SummaryStatus
from treeherder.perf.generate import process_pending
from treeherder.perf.triage import (
    NotFound,
    TriageError,
    create_alert_summary,
    create_manual_alert,
    update_alert,
    update_alert_summary,
)

A_VALUES = noisy(30, 100.0, 1.0, seed=1) + noisy(20, 120.0, 1.0, seed=2)  # regression (lower is better)
B_VALUES = noisy(30, 50.0, 0.5, seed=3) + noisy(20, 40.0, 0.5, seed=4)  # improvement


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


@pytest.fixture
def generated(database, ingestor):
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()
    push_ids = store_series(ingestor, {"a": A_VALUES, "b": B_VALUES})
    process_pending(database, now=T0 + 3600 * 50)
    with database.read() as conn:
        alerts = {
            suite: (alert_id, summary_id)
            for alert_id, summary_id, suite in conn.execute(
                select(
                    t.performance_alert.c.id, t.performance_alert.c.summary_id, t.performance_signature.c.suite
                ).join(
                    t.performance_signature, t.performance_signature.c.id == t.performance_alert.c.series_signature_id
                )
            )
        }
        signatures = dict(conn.execute(select(t.performance_signature.c.suite, t.performance_signature.c.id)).all())
    return {"push_ids": push_ids, "alerts": alerts, "signatures": signatures}


def _summary(db, summary_id):
    with db.read() as conn:
        return conn.execute(
            select(t.performance_alert_summary).where(t.performance_alert_summary.c.id == summary_id)
        ).one()


def _alert(db, alert_id):
    with db.read() as conn:
        return conn.execute(select(t.performance_alert).where(t.performance_alert.c.id == alert_id)).one()


def test_manual_summary(database, generated):
    pushes = generated["push_ids"]
    with pytest.raises(TriageError, match="cannot be identical"):
        create_alert_summary(database, 1, 1, pushes[5], pushes[5])
    summary_id = create_alert_summary(database, 1, 1, pushes[10], pushes[9])
    assert create_alert_summary(database, 1, 1, pushes[10], pushes[9]) == summary_id
    summary = _summary(database, summary_id)
    assert summary.manually_created and summary.status == SummaryStatus.UNTRIAGED


def test_manual_alert_uses_the_data_around_the_previous_push(database, generated):
    pushes = generated["push_ids"]
    # a wider range than the generated summary (previous push 28 instead of 29): a new summary
    summary_id = create_alert_summary(database, 1, 1, pushes[30], pushes[28])
    alert_id = create_manual_alert(database, summary_id, generated["signatures"]["a"])
    alert = _alert(database, alert_id)
    assert alert.prev_value == pytest.approx(sum(A_VALUES[5:29]) / 24)
    assert alert.new_value == pytest.approx(sum(A_VALUES[29:41]) / 12)
    assert alert.t_value == 1000 and alert.manually_created and alert.is_regression
    assert _summary(database, summary_id).status == SummaryStatus.UNTRIAGED
    nothing_after = create_alert_summary(database, 1, 1, pushes[48], pushes[49])
    with pytest.raises(TriageError, match="Insufficient data"):
        create_manual_alert(database, nothing_after, generated["signatures"]["a"])
    with pytest.raises(NotFound):
        create_manual_alert(database, nothing_after, 999_999)


def test_acknowledging_sets_summary_status(database, generated):
    (a_alert, summary_id), (b_alert, _) = generated["alerts"]["a"], generated["alerts"]["b"]
    update_alert(database, b_alert, {"status": AlertStatus.ACKNOWLEDGED})
    assert _summary(database, summary_id).status == SummaryStatus.UNTRIAGED  # a is still untriaged
    update_alert(database, a_alert, {"status": AlertStatus.INVALID})
    assert _summary(database, summary_id).status == SummaryStatus.IMPROVEMENT
    update_alert(database, a_alert, {"status": AlertStatus.ACKNOWLEDGED})
    summary = _summary(database, summary_id)
    assert summary.status == SummaryStatus.IMPROVEMENT  # kept once set
    assert summary.first_triaged is not None and _alert(database, a_alert).first_triaged is not None


def test_reassigning_needs_a_related_summary_and_updates_both(database, generated):
    pushes = generated["push_ids"]
    a_alert, summary_id = generated["alerts"]["a"]
    b_alert, _ = generated["alerts"]["b"]
    with pytest.raises(TriageError):
        update_alert(database, a_alert, {"status": AlertStatus.REASSIGNED})
    with pytest.raises(TriageError, match="Nudging"):
        update_alert(database, a_alert, {"push_id": pushes[3]})
    other = create_alert_summary(database, 1, 1, pushes[31], pushes[30])
    update_alert(database, a_alert, {"status": AlertStatus.REASSIGNED, "related_summary_id": other})
    update_alert(database, b_alert, {"status": AlertStatus.INVALID})
    assert _summary(database, summary_id).status == SummaryStatus.REASSIGNED
    assert _summary(database, other).status == SummaryStatus.REASSIGNED


def test_summary_updates(database, generated):
    pushes = generated["push_ids"]
    _, summary_id = generated["alerts"]["a"]
    update_alert_summary(
        database, summary_id, {"bug_number": 123456, "notes": "see bug", "performance_tags": ["harness"]}
    )
    summary = _summary(database, summary_id)
    assert summary.bug_number == 123456 and summary.bug_updated is not None
    assert summary.notes == "see bug" and summary.performance_tags == "harness"
    with database.read() as conn:
        revisions = dict(conn.execute(select(t.push.c.id, t.push.c.revision)).all())
    with pytest.raises(TriageError, match="distinct"):
        update_alert_summary(
            database, summary_id, {"revision": revisions[pushes[30]], "prev_push_revision": revisions[pushes[30]]}
        )
    update_alert_summary(database, summary_id, {"revision": revisions[pushes[31]]})
    moved = _summary(database, summary_id)
    assert moved.push_id == pushes[31] and moved.original_push_id == pushes[30]
    with pytest.raises(NotFound):
        update_alert_summary(database, 999_999, {"notes": "x"})
