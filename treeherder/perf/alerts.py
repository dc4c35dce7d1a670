"""Alert building from detector output, grouping into alert summaries, and alert statuses.

Everything here is pure: the storage layer feeds in series and existing summaries and writes back
what these functions return (PERF.md §5.4 to §5.6).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from treeherder.perf.detect.ttest import (
    FORE_WINDOW,
    MAX_BACK_WINDOW,
    MIN_BACK_WINDOW,
    T_THRESHOLD,
    RevisionDatum,
    detect_changes,
    welch_t,
    window_stats,
)

#: Default minimum change before alerting: percent, or absolute units for "absolute" signatures.
REGRESSION_THRESHOLD = 2.0
#: Only data this recent is analysed (PERFHERDER_ALERTS_MAX_AGE).
ALERTS_MAX_AGE = timedelta(days=14)
#: Infinite t values are stored as this "confidence".
INFINITE_T_VALUE = 1000.0

CHANGE_TYPE_PERCENTAGE = 0
CHANGE_TYPE_ABSOLUTE = 1


class AlertStatus(IntEnum):
    UNTRIAGED = 0
    DOWNSTREAM = 1
    REASSIGNED = 2
    INVALID = 3
    ACKNOWLEDGED = 4
    INFRA = 5


class SummaryStatus(IntEnum):
    UNTRIAGED = 0
    DOWNSTREAM = 1
    REASSIGNED = 2
    INVALID = 3
    IMPROVEMENT = 4
    INVESTIGATING = 5
    WONTFIX = 6
    FIXED = 7
    BACKEDOUT = 8
    INFRA = 9


class BugStatus(IntEnum):
    NEW = 0
    FIXED = 1
    INVALID = 2
    INACTIVE = 3
    DUPLICATE = 4
    WONTFIX = 5
    WORKSFORME = 6
    INCOMPLETE = 7
    MOVED = 8


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """A signature's alerting settings; ``None`` fields fall back to upstream's defaults."""

    lower_is_better: bool = True
    alert_change_type: int | None = None
    alert_threshold: float | None = None
    min_back_window: int | None = None
    max_back_window: int | None = None
    fore_window: int | None = None


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """An alert the detector wants to raise at ``push_id`` (with ``prev_push_id`` just before it)."""

    push_id: int | None
    push_timestamp: int
    prev_push_id: int | None
    prev_push_timestamp: int
    prev_value: float
    new_value: float
    amount_abs: float
    amount_pct: float
    t_value: float
    is_regression: bool
    noise_profile: str


def revision_data(points: Iterable[tuple[int | None, int, float]]) -> list[RevisionDatum]:
    """Group ``(push_id, push_timestamp, value)`` points into one datum per push, sorted by push time."""
    by_push: dict[tuple[int | None, int], list[float]] = defaultdict(list)
    for push_id, push_timestamp, value in points:
        by_push[(push_id, push_timestamp)].append(float(value))
    data = [RevisionDatum(ts, push_id, values) for (push_id, ts), values in by_push.items()]
    data.sort(key=lambda d: d.push_timestamp)
    return data


def _geometric_mean(values: Sequence[float]) -> float:
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def noise_profile(earlier: Sequence[RevisionDatum]) -> str:
    """Noise class (SKEWED, OUTLIERS, MODAL, OK, N/A) of the per-push geometric means before a change."""
    try:
        from moz_measure_noise import deviance

        with warnings.catch_warnings():
            # near-constant data makes scipy warn about precision; the profile is still usable
            warnings.simplefilter("ignore", RuntimeWarning)
            profile, _score = deviance([_geometric_mean(d.values) for d in earlier])
    except Exception:  # a failed profile must never stop alert generation (upstream: N/A)
        return "N/A"
    return profile if isinstance(profile, str) else "N/A"


def _alert_at(
    data: list[RevisionDatum],
    index: int,
    prev_value: float,
    new_value: float,
    t_value: float,
    settings: AlertSettings,
    with_noise_profile: bool,
) -> AlertCandidate | None:
    """The alert for a change at ``data[index]``, or None when the change is below the alert threshold."""
    threshold = settings.alert_threshold if settings.alert_threshold is not None else REGRESSION_THRESHOLD
    amount_abs = new_value - prev_value
    amount_pct = 100 * abs(amount_abs) / prev_value if prev_value != 0 else 0.0
    size = abs(amount_abs) if settings.alert_change_type == CHANGE_TYPE_ABSOLUTE else amount_pct
    if size < threshold:
        return None
    cur, prev = data[index], data[index - 1]
    return AlertCandidate(
        push_id=cur.push_id,
        push_timestamp=cur.push_timestamp,
        prev_push_id=prev.push_id,
        prev_push_timestamp=prev.push_timestamp,
        prev_value=prev_value,
        new_value=new_value,
        amount_abs=amount_abs,
        amount_pct=amount_pct,
        t_value=INFINITE_T_VALUE if math.isinf(t_value) else t_value,
        is_regression=(amount_abs > 0 and settings.lower_is_better)
        or (amount_abs < 0 and not settings.lower_is_better),
        noise_profile=noise_profile(data[:index]) if with_noise_profile else "N/A",
    )


def find_alerts(
    data: list[RevisionDatum], settings: AlertSettings, with_noise_profile: bool = True
) -> list[AlertCandidate]:
    """Run upstream's detector over per-push ``data`` and return the alerts it would raise."""
    analysed = detect_changes(
        data,
        min_back_window=settings.min_back_window or MIN_BACK_WINDOW,
        max_back_window=settings.max_back_window or MAX_BACK_WINDOW,
        fore_window=settings.fore_window or FORE_WINDOW,
        t_threshold=T_THRESHOLD,
    )
    alerts = []
    for index in range(1, len(analysed)):
        cur = analysed[index]
        if cur.change_detected:
            alert = _alert_at(
                analysed,
                index,
                cur.historical_stats.avg,
                cur.forward_stats.avg,
                cur.t,
                settings,
                with_noise_profile,
            )
            if alert is not None:
                alerts.append(alert)
    return alerts


def _values_window(data: list[RevisionDatum], indexes: range, limit: int) -> list[list[float]]:
    """Per-push values taken in ``indexes`` order until at least ``limit`` values are collected."""
    window: list[list[float]] = []
    collected = 0
    for i in indexes:
        if collected >= limit:
            break
        window.append(data[i].values)
        collected += len(data[i].values)
    return window


def find_alerts_with_detector(
    detector_name: str,
    data: list[RevisionDatum],
    settings: AlertSettings,
    with_noise_profile: bool = True,
) -> list[AlertCandidate]:
    """Alerts from any registered detector; ``ttest`` is exactly :func:`find_alerts`.

    Offline detectors see one value per push (the mean of its values). At each change they
    report, the previous and new values are the means of up to ``max_back_window`` values
    before and ``fore_window`` values from the change on, never crossing a neighbouring change,
    and ``t_value`` is upstream's t between those windows. As upstream, a change is only reported
    once ``fore_window`` values after it exist, and the alert threshold applies.
    """
    if detector_name == "ttest":
        return find_alerts(data, settings, with_noise_profile)
    from treeherder.perf.detect import get_detector

    data.sort(key=lambda d: d.push_timestamp)
    push_means = [math.fsum(d.values) / len(d.values) for d in data]
    changes = get_detector(detector_name).change_indexes(push_means)
    max_back = settings.max_back_window or MAX_BACK_WINDOW
    fore_size = settings.fore_window or FORE_WINDOW
    bounds = [0, *changes, len(data)]
    alerts = []
    for position, index in enumerate(changes, start=1):
        if sum(len(d.values) for d in data[index:]) < fore_size:
            continue
        back = _values_window(data, range(index - 1, bounds[position - 1] - 1, -1), max_back)
        fore = _values_window(data, range(index, bounds[position + 1]), fore_size)
        if not back or not fore:
            continue
        alert = _alert_at(
            data,
            index,
            window_stats(back).avg,
            window_stats(fore).avg,
            abs(welch_t(back, fore)),
            settings,
            with_noise_profile,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


def select_analysis_points(
    points: Iterable[tuple[int | None, int, float]], now: int, newest_alert_push_time: int | None
) -> list[tuple[int | None, int, float]]:
    """Keep the ``(push_id, push_timestamp, value)`` points the detector looks at (PERF.md §5.1)."""
    cutoff = now - int(ALERTS_MAX_AGE.total_seconds())
    kept = [p for p in points if p[1] >= cutoff]
    if newest_alert_push_time is not None:
        kept = [p for p in kept if p[1] > newest_alert_push_time]
    return kept


# --- grouping into summaries (§5.5) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExistingSummary:
    id: int
    push_id: int
    prev_push_id: int
    prev_push_timestamp: int
    manually_created: bool
    sheriffed: bool = True


@dataclass(frozen=True, slots=True)
class SummaryPlan:
    """Where an alert goes: an existing summary (``summary_id``) or a new one (``summary_id`` None).

    ``prev_push_id`` is the summary's previous push after widening, or for a new summary its value.
    """

    summary_id: int | None
    push_id: int
    prev_push_id: int
    prev_push_changed: bool
    alert: AlertCandidate


def plan_summaries(
    alerts: Sequence[AlertCandidate], existing: Sequence[ExistingSummary], sheriffed: bool
) -> list[SummaryPlan]:
    """Decide, per alert of one signature, which summary of (repository, framework) holds it.

    ``existing`` are the summaries already stored for this repository and framework; the oldest
    (lowest id) with the same push and sheriffed flag is reused, else a new one is planned. The
    previous push of a reused non-manual summary widens to the earlier of the two.
    """
    by_push: dict[int, ExistingSummary] = {}
    for summary in sorted(existing, key=lambda s: s.id):
        if summary.sheriffed == sheriffed:
            by_push.setdefault(summary.push_id, summary)
    plans = []
    for alert in alerts:
        summary = by_push.get(alert.push_id)
        if summary is None:
            plans.append(SummaryPlan(None, alert.push_id, alert.prev_push_id, False, alert))
            continue
        widen = not summary.manually_created and alert.prev_push_timestamp < summary.prev_push_timestamp
        prev_push_id = alert.prev_push_id if widen else summary.prev_push_id
        plans.append(SummaryPlan(summary.id, alert.push_id, prev_push_id, widen, alert))
    return plans


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days; a weekend start counts from the next Monday."""
    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def triage_due_date(created: datetime) -> datetime:
    return add_business_days(created, 2)


def bug_due_date(created: datetime) -> datetime:
    return add_business_days(created, 4)


# --- statuses (§5.6) ------------------------------------------------------------------------

RELATED_ALERT_STATUSES = frozenset({AlertStatus.DOWNSTREAM, AlertStatus.REASSIGNED})
UNRELATED_ALERT_STATUSES = frozenset(
    {AlertStatus.UNTRIAGED, AlertStatus.INVALID, AlertStatus.ACKNOWLEDGED, AlertStatus.INFRA}
)


def check_alert_status(status: int, related_summary_id: int | None) -> str | None:
    """Return an error message if ``status`` and ``related_summary_id`` contradict each other."""
    if related_summary_id is not None and status not in RELATED_ALERT_STATUSES:
        return "A related summary needs the status Downstream or Reassigned"
    if related_summary_id is None and status not in UNRELATED_ALERT_STATUSES:
        return "Downstream and Reassigned alerts need a related summary"
    return None


@dataclass(frozen=True, slots=True)
class AlertState:
    status: int
    is_regression: bool
    #: True for an alert of another summary that was reassigned/downstreamed into this one
    related_here: bool = False


_KEEP_WHEN_ACKNOWLEDGED = frozenset(
    {
        SummaryStatus.IMPROVEMENT,
        SummaryStatus.INVESTIGATING,
        SummaryStatus.WONTFIX,
        SummaryStatus.FIXED,
        SummaryStatus.BACKEDOUT,
    }
)


def summary_status(current: int, alerts: Sequence[AlertState]) -> SummaryStatus:
    """Recompute a summary's status from its own alerts and those reassigned into it."""
    if not alerts:
        return SummaryStatus.UNTRIAGED
    statuses = {a.status for a in alerts}
    if AlertStatus.UNTRIAGED in statuses:
        return SummaryStatus.UNTRIAGED
    if current == SummaryStatus.IMPROVEMENT and any(
        a.related_here and a.status == AlertStatus.REASSIGNED and a.is_regression for a in alerts
    ):
        return SummaryStatus.UNTRIAGED
    if statuses == {AlertStatus.INVALID}:
        return SummaryStatus.INVALID
    if statuses == {AlertStatus.INFRA}:
        return SummaryStatus.INFRA
    if statuses == {AlertStatus.INVALID, AlertStatus.INFRA}:
        return SummaryStatus.INVALID
    relevant = [a for a in alerts if a.status not in (AlertStatus.INVALID, AlertStatus.INFRA)]
    if any(a.status == AlertStatus.ACKNOWLEDGED for a in relevant):
        counted = [
            a
            for a in relevant
            if a.status == AlertStatus.ACKNOWLEDGED or (a.related_here and a.status == AlertStatus.REASSIGNED)
        ]
        if all(not a.is_regression for a in counted):
            return SummaryStatus.IMPROVEMENT
        if current in _KEEP_WHEN_ACKNOWLEDGED:
            return SummaryStatus(current)
        return SummaryStatus.INVESTIGATING
    if any(a.status == AlertStatus.REASSIGNED for a in relevant):
        return SummaryStatus.REASSIGNED
    return SummaryStatus.DOWNSTREAM
