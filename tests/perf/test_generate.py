"""Alert generation against the database, from data stored through the ingestion path."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.perf.helpers import REPO, T0
from tests.perf.helpers import noisy as _noisy
from tests.perf.helpers import store_series as _store_series
from treeherder.db import tables as t
from treeherder.perf import store as perf_store
from treeherder.perf import generate
from treeherder.perf.generate import generate_alerts, process_pending


@pytest.fixture(autouse=True)
def _perf_storage_registered():
    perf_store.register()


@pytest.fixture
def alerting_repo(database, ingestor):
    with database.write() as conn:
        conn.execute(update(t.repository).where(t.repository.c.name == REPO).values(performance_alerts_enabled=True))
    ingestor.clear_caches()


def _alerts(db):
    a, s = t.performance_alert, t.performance_alert_summary
    with db.read() as conn:
        return conn.execute(
            select(a, s.c.push_id, s.c.prev_push_id, s.c.status.label("summary_status"))
            .join(s, s.c.id == a.c.summary_id)
            .order_by(a.c.id)
        ).all()


def test_regression_creates_one_summary_and_alert(database, ingestor, alerting_repo):
    values = _noisy(40, 100.0, 1.0, seed=1) + _noisy(30, 110.0, 1.0, seed=2)
    push_ids = _store_series(ingestor, {"tp5o": values})
    now = T0 + 3600 * 70
    assert process_pending(database, now=now) == 1
    (alert,) = _alerts(database)
    assert (alert.push_id, alert.prev_push_id) == (push_ids[40], push_ids[39])
    assert alert.is_regression and alert.detector == "ttest" and alert.summary_status == 0
    assert alert.prev_value == pytest.approx(sum(values[28:40]) / 12)
    assert alert.new_value == pytest.approx(sum(values[40:52]) / 12)
    assert alert.t_value > 7
    with database.read() as conn:
        assert conn.execute(select(t.performance_alert_pending)).all() == []
        summary = conn.execute(select(t.performance_alert_summary)).one()
    assert summary.triage_due_date > summary.created and summary.bug_due_date > summary.triage_due_date
    # running again finds nothing new after the alerted push
    signature_id = alert.series_signature_id
    generate_alerts(database, signature_id, now=now)
    assert len(_alerts(database)) == 1


def test_flat_series_creates_nothing(database, ingestor, alerting_repo):
    _store_series(ingestor, {"tp5o": _noisy(60, 250.0, 12.0, seed=3)})
    process_pending(database, now=T0 + 3600 * 60)
    assert _alerts(database) == []


def test_series_regressing_on_one_push_share_a_summary(database, ingestor, alerting_repo):
    a = _noisy(30, 100.0, 1.0, seed=4) + _noisy(20, 120.0, 1.0, seed=5)
    b = _noisy(30, 50.0, 0.5, seed=6) + _noisy(20, 40.0, 0.5, seed=7)
    _store_series(ingestor, {"a": a, "b": b})
    process_pending(database, now=T0 + 3600 * 50)
    alerts = _alerts(database)
    assert len(alerts) == 2
    assert alerts[0].summary_id == alerts[1].summary_id
    assert {x.is_regression for x in alerts} == {True, False}  # b dropped: an improvement


def test_old_data_is_not_analysed(database, ingestor, alerting_repo):
    _store_series(ingestor, {"tp5o": _noisy(30, 100.0, 1.0, seed=8) + _noisy(20, 120.0, 1.0, seed=9)})
    process_pending(database, now=T0 + 3600 * 50 + 15 * 86400)
    assert _alerts(database) == []


@pytest.mark.parametrize("detector", ["edivisive", "pelt"])
def test_framework_can_use_a_change_point_detector(database, ingestor, alerting_repo, detector):
    values = _noisy(40, 100.0, 1.0, seed=10) + _noisy(30, 108.0, 1.0, seed=11)
    push_ids = _store_series(ingestor, {"tp5o": values})
    process_pending(database, now=T0 + 3600 * 70, detector_choices={"talos": detector})
    (alert,) = _alerts(database)
    assert alert.detector == detector and alert.push_id == push_ids[40]
    assert alert.prev_value == pytest.approx(sum(values[16:40]) / 24)
    assert alert.new_value == pytest.approx(sum(values[40:52]) / 12)


def test_generate_alerts_command(database, ingestor, alerting_repo, monkeypatch):
    from click.testing import CliRunner

    from treeherder import config
    from treeherder.perf.cli import perf

    _store_series(ingestor, {"tp5o": _noisy(40, 100.0, 1.0, seed=12) + _noisy(30, 115.0, 1.0, seed=13)})
    monkeypatch.setenv("DATABASE_URL", database.url)
    if hasattr(config.get_settings, "cache_clear"):
        config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(perf, ["generate-alerts", "--framework-detector", "talos=pelt"])
    finally:
        if hasattr(config.get_settings, "cache_clear"):
            config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 pending signature(s) analysed" in result.output
    # the data is from 2023, older than 14 days: analysed (the mark is gone) but nothing to alert on
    assert _alerts(database) == []
    with database.read() as conn:
        assert conn.execute(select(t.performance_alert_pending)).all() == []
    bad = CliRunner().invoke(perf, ["generate-alerts", "--framework-detector", "talos"])
    assert bad.exit_code == 2


def test_monitored_series_get_summaries_of_their_own(database, ingestor, alerting_repo, client):
    a = _noisy(30, 100.0, 1.0, seed=4) + _noisy(20, 120.0, 1.0, seed=5)
    b = _noisy(30, 50.0, 0.5, seed=6) + _noisy(20, 60.0, 0.5, seed=7)
    _store_series(ingestor, {"a": a, "b": b}, suite_fields={"b": {"monitor": True}})
    process_pending(database, now=T0 + 3600 * 50)
    alerts = _alerts(database)
    assert len(alerts) == 2 and alerts[0].summary_id != alerts[1].summary_id
    with database.read() as conn:
        flags = dict(conn.execute(select(t.performance_alert_summary.c.id, t.performance_alert_summary.c.sheriffed)).all())
    sheriffed = [i for i, flag in flags.items() if flag]
    monitored = [i for i, flag in flags.items() if not flag]
    assert len(sheriffed) == len(monitored) == 1
    url = "/api/performance/alertsummary/"
    assert [s["id"] for s in client.get(url).json()["results"]] == sheriffed
    assert [s["id"] for s in client.get(url, params={"monitored_alerts": "true"}).json()["results"]] == monitored
    assert [s["id"] for s in client.get(url, params={"id": monitored[0]}).json()["results"]] == monitored


def test_data_stored_while_the_detector_runs_is_analysed(database, ingestor, alerting_repo, monkeypatch):
    """Detection runs outside the write lock; data that arrives meanwhile makes it run again before anything is
    written or the pending mark goes."""
    _store_series(ingestor, {"tp5o": _noisy(40, 100.0, 1.0, seed=1)})
    detections = []
    real_detect = generate._detect

    def detect_while_data_arrives(conn, *args):
        detection = real_detect(conn, *args)
        detections.append(detection.candidates)
        if len(detections) == 1:  # a regression lands while the first detection runs
            _store_series(ingestor, {"tp5o": _noisy(30, 110.0, 1.0, seed=2)}, after=40)
        return detection

    monkeypatch.setattr(generate, "_detect", detect_while_data_arrives)
    assert process_pending(database, now=T0 + 3600 * 70) == 1
    assert len(detections) == 2 and detections[0] == []  # the first run saw the flat series only
    (alert,) = _alerts(database)
    assert alert.is_regression
    with database.read() as conn:
        assert conn.execute(select(t.performance_alert_pending)).all() == []
