import random
from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest

from treeherder.perf.alerts import (
    AlertSettings,
    AlertState,
    AlertStatus,
    ExistingSummary,
    SummaryStatus,
    add_business_days,
    check_alert_status,
    find_alerts,
    plan_summaries,
    revision_data,
    select_analysis_points,
    summary_status,
)
from treeherder.perf.detect.ttest import detect_changes

T0 = 1_700_000_000


def _series(values, retriggers=1):
    points = []
    for push, value in enumerate(values):
        for r in range(retriggers):
            points.append((1000 + push, T0 + 3600 * push, value + 0.01 * r))
    return points


def _noisy(n, level, sd, seed):
    rng = random.Random(seed)
    return [level + rng.gauss(0, sd) for _ in range(n)]


def _linear_t(back, fore):
    """t as upstream defines it, computed with numpy for one value per push (index 0 nearest)."""

    def stats(window):
        window = np.asarray(window, dtype=float)
        weights = (len(window) - np.arange(len(window))) / len(window)
        avg = float(np.sum(weights * window) / np.sum(weights))
        return avg, float(np.sum((window - avg) ** 2) / (len(window) - 1)), len(window)

    a1, v1, n1 = stats(back)
    a2, v2, n2 = stats(fore)
    return (a2 - a1) / np.sqrt(v1 / n1 + v2 / n2)


def test_known_regression_gives_one_alert_with_upstream_statistics():
    values = _noisy(40, 100.0, 1.0, seed=1) + _noisy(30, 110.0, 1.0, seed=2)
    data = revision_data(_series(values))
    alerts = find_alerts(data, AlertSettings(lower_is_better=True))
    assert len(alerts) == 1
    (alert,) = alerts
    assert (alert.push_id, alert.prev_push_id) == (1040, 1039)
    assert alert.push_timestamp == T0 + 3600 * 40
    # The push before the step already saw t > 7 (its fore window held 11 new values), which
    # shrinks the back window to the 12 values before the change.
    assert data[39].t > 7
    back = values[28:40]
    fore = values[40:52]
    assert alert.prev_value == pytest.approx(np.mean(back))
    assert alert.new_value == pytest.approx(np.mean(fore))
    assert alert.amount_abs == pytest.approx(np.mean(fore) - np.mean(back))
    assert alert.amount_pct == pytest.approx(100 * abs(np.mean(fore) - np.mean(back)) / np.mean(back))
    assert alert.t_value == pytest.approx(abs(_linear_t(back[::-1], fore)))
    assert alert.is_regression
    assert alert.noise_profile in {"OK", "SKEWED", "OUTLIERS", "MODAL"}


def test_flat_noisy_series_gives_no_alert():
    values = _noisy(300, 250.0, 12.0, seed=3)
    assert find_alerts(revision_data(_series(values)), AlertSettings()) == []


def test_higher_is_better_drop_is_a_regression_and_rise_is_not():
    drop = _noisy(40, 100.0, 0.5, seed=4) + _noisy(20, 90.0, 0.5, seed=5)
    (alert,) = find_alerts(revision_data(_series(drop)), AlertSettings(lower_is_better=False))
    assert alert.is_regression and alert.amount_abs < 0
    rise = _noisy(40, 100.0, 0.5, seed=4) + _noisy(20, 110.0, 0.5, seed=5)
    (alert,) = find_alerts(revision_data(_series(rise)), AlertSettings(lower_is_better=False))
    assert not alert.is_regression


def test_thresholds_percentage_and_absolute():
    values = [100.0, 100.2] * 20 + [101.5, 101.7] * 10  # a 1.5 % step: significant but small
    data = revision_data(_series(values))
    assert find_alerts(data, AlertSettings()) == []
    assert len(find_alerts(revision_data(_series(values)), AlertSettings(alert_threshold=1.0))) == 1
    absolute = AlertSettings(alert_change_type=1, alert_threshold=1.0)
    assert len(find_alerts(revision_data(_series(values)), absolute)) == 1
    absolute_high = AlertSettings(alert_change_type=1, alert_threshold=2.0)
    assert find_alerts(revision_data(_series(values)), absolute_high) == []


def test_noise_free_step_stores_t_as_1000():
    values = [10.0] * 30 + [20.0] * 20
    (alert,) = find_alerts(revision_data(_series(values)), AlertSettings())
    assert alert.t_value == 1000.0


def test_retriggers_are_grouped_per_push():
    data = revision_data(_series([5.0, 6.0], retriggers=3))
    assert [len(d.values) for d in data] == [3, 3]
    assert [d.push_id for d in data] == [1000, 1001]


def test_signature_windows_override_defaults():
    values = _noisy(10, 100.0, 0.5, seed=6) + _noisy(10, 120.0, 0.5, seed=7)
    assert find_alerts(revision_data(_series(values)), AlertSettings()) == []
    small = AlertSettings(min_back_window=5, max_back_window=8, fore_window=5)
    (alert,) = find_alerts(revision_data(_series(values)), small)
    assert alert.push_id == 1010


def test_analysis_points_window():
    now = T0 + 20 * 86400
    points = [(1, T0, 1.0), (2, T0 + 7 * 86400, 2.0), (3, T0 + 10 * 86400, 3.0)]
    assert [p[0] for p in select_analysis_points(points, now, None)] == [2, 3]
    assert [p[0] for p in select_analysis_points(points, now, T0 + 7 * 86400)] == [3]


def _alert(push_id, prev_push_id, prev_ts):
    values = _noisy(30, 100.0, 0.5, seed=8) + _noisy(20, 110.0, 0.5, seed=9)
    (alert,) = find_alerts(revision_data(_series(values)), AlertSettings(), with_noise_profile=False)
    return replace(alert, push_id=push_id, prev_push_id=prev_push_id, prev_push_timestamp=prev_ts)


def test_plan_summaries_reuses_oldest_matching_summary_and_widens_prev_push():
    existing = [
        ExistingSummary(id=7, push_id=50, prev_push_id=49, prev_push_timestamp=490, manually_created=False),
        ExistingSummary(id=3, push_id=50, prev_push_id=48, prev_push_timestamp=480, manually_created=False),
        ExistingSummary(id=9, push_id=60, prev_push_id=59, prev_push_timestamp=590, manually_created=True),
        ExistingSummary(
            id=2, push_id=70, prev_push_id=69, prev_push_timestamp=690, manually_created=False, sheriffed=False
        ),
    ]
    alerts = [_alert(50, 45, 450), _alert(60, 55, 550), _alert(70, 69, 690), _alert(80, 79, 790)]
    plans = plan_summaries(alerts, existing, sheriffed=True)
    assert [(p.summary_id, p.prev_push_id, p.prev_push_changed) for p in plans] == [
        (3, 45, True),  # oldest summary for push 50, previous push widened
        (9, 59, False),  # manual summaries keep their previous push
        (None, 69, False),  # the existing one is not sheriffed
        (None, 79, False),
    ]


def test_business_days():
    friday = datetime(2026, 11, 27, 10, 0)
    assert add_business_days(friday, 2) == datetime(2026, 12, 1, 10, 0)  # Tuesday
    saturday = datetime(2026, 11, 28, 10, 0)
    assert add_business_days(saturday, 2) == datetime(2026, 12, 2, 10, 0)  # counted from Monday
    monday = datetime(2026, 11, 23, 9, 0)
    assert add_business_days(monday, 4) == datetime(2026, 11, 27, 9, 0)


def test_alert_status_rules():
    assert check_alert_status(AlertStatus.REASSIGNED, 5) is None
    assert check_alert_status(AlertStatus.ACKNOWLEDGED, None) is None
    assert check_alert_status(AlertStatus.ACKNOWLEDGED, 5) is not None
    assert check_alert_status(AlertStatus.DOWNSTREAM, None) is not None


@pytest.mark.parametrize(
    "current, alerts, expected",
    [
        (0, [], SummaryStatus.UNTRIAGED),
        (5, [AlertState(0, True), AlertState(4, True)], SummaryStatus.UNTRIAGED),
        (0, [AlertState(3, True), AlertState(3, False)], SummaryStatus.INVALID),
        (0, [AlertState(5, True)], SummaryStatus.INFRA),
        (0, [AlertState(3, True), AlertState(5, True)], SummaryStatus.INVALID),
        (0, [AlertState(4, False), AlertState(3, True)], SummaryStatus.IMPROVEMENT),
        (0, [AlertState(4, True), AlertState(4, False)], SummaryStatus.INVESTIGATING),
        (7, [AlertState(4, True)], SummaryStatus.FIXED),
        (4, [AlertState(4, False), AlertState(2, True, related_here=True)], SummaryStatus.UNTRIAGED),
        (0, [AlertState(2, True), AlertState(1, True)], SummaryStatus.REASSIGNED),
        (0, [AlertState(1, True)], SummaryStatus.DOWNSTREAM),
    ],
)
def test_summary_status(current, alerts, expected):
    assert summary_status(current, alerts) == expected


def test_detect_changes_sorts_by_push_time():
    data = revision_data(_series([1.0] * 5))
    data.reverse()
    assert [d.push_timestamp for d in detect_changes(data)] == sorted(d.push_timestamp for d in data)
