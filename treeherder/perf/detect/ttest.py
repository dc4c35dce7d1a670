"""Upstream Perfherder's regression detector: a weighted Student t between moving windows.

For every push the values of the preceding pushes (the back window, 12 to 24 values) are
compared with those of this push and the following ones (the fore window, 12 values). A change
is reported where |t| exceeds the threshold and is a local maximum. Constants, window rules and
statistics follow upstream exactly (PERF.md §5), so alerts match Treeherder's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

MIN_BACK_WINDOW = 12
MAX_BACK_WINDOW = 24
FORE_WINDOW = 12
T_THRESHOLD = 7.0


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Statistics of one window of revision data."""

    avg: float
    n: int
    variance: float


EMPTY_STATS = WindowStats(0.0, 0, 0.0)


@dataclass(slots=True)
class RevisionDatum:
    """All values of one series for one push, plus what the detector computed at that push."""

    push_timestamp: int
    push_id: int | None
    values: list[float]
    t: float = 0.0
    amount_prev_data: int = 0
    amount_next_data: int = 0
    historical_stats: WindowStats = EMPTY_STATS
    forward_stats: WindowStats = EMPTY_STATS
    change_detected: bool = False
    extra: dict = field(default_factory=dict)


def window_stats(window: Sequence[Sequence[float]], linear: bool = False) -> WindowStats:
    """Average (optionally linearly weighted, index 0 heaviest) and sample variance of a window.

    The variance is the unweighted sum of squares around the (weighted) average, as upstream.
    """
    count = len(window)
    if count == 0:
        return EMPTY_STATS
    weighted_sum = 0.0
    weight_total = 0.0
    n = 0
    for index, values in enumerate(window):
        weight = (count - index) / count if linear else 1.0
        weighted_sum += weight * sum(values)
        weight_total += weight * len(values)
        n += len(values)
    avg = weighted_sum / weight_total
    if n > 1:
        variance = sum((v - avg) ** 2 for values in window for v in values) / (n - 1)
    else:
        variance = 0.0
    return WindowStats(avg, n, variance)


def welch_t(back: Sequence[Sequence[float]], fore: Sequence[Sequence[float]]) -> float:
    """Upstream's t between two windows with linear weights (signed; +inf for noise-free steps)."""
    if not back or not fore:
        return 0.0
    s1 = window_stats(back, linear=True)
    s2 = window_stats(fore, linear=True)
    delta = s2.avg - s1.avg
    if delta == 0:
        return 0.0
    if s1.variance == 0 and s2.variance == 0:
        return math.inf
    return delta / math.sqrt(s1.variance / s1.n + s2.variance / s2.n)


def detect_changes(
    data: list[RevisionDatum],
    min_back_window: int = MIN_BACK_WINDOW,
    max_back_window: int = MAX_BACK_WINDOW,
    fore_window: int = FORE_WINDOW,
    t_threshold: float = T_THRESHOLD,
) -> list[RevisionDatum]:
    """Annotate ``data`` (sorted here by push time) with t values and ``change_detected`` flags.

    Returns the sorted list; the same objects are updated in place.
    """
    data.sort(key=lambda d: d.push_timestamp)
    all_values = [d.values for d in data]
    size = len(data)
    last_seen_regression = 0
    for i in range(1, size):
        datum = data[i]
        # The back window grows (up to max_back_window pushes) while no regression was seen
        # recently, so stable series get more history and a fresh step is not diluted.
        reach = min(max(last_seen_regression, min_back_window), max_back_window)
        back: list[list[float]] = []
        collected = 0
        j = i - 1
        while collected < max_back_window and j >= 0 and i - j <= reach:
            back.append(all_values[j])
            collected += len(all_values[j])
            j -= 1
        datum.amount_prev_data = collected

        fore: list[list[float]] = []
        collected = 0
        k = i
        while collected < fore_window and k < size:
            fore.append(all_values[k])
            collected += len(all_values[k])
            k += 1
        datum.amount_next_data = collected

        datum.historical_stats = window_stats(back)
        datum.forward_stats = window_stats(fore)
        datum.t = abs(welch_t(back, fore))
        if datum.t > t_threshold:
            last_seen_regression = 0
        else:
            last_seen_regression += 1

    for i in range(1, size):
        datum = data[i]
        if datum.amount_prev_data < min_back_window or datum.amount_next_data < fore_window:
            continue
        if datum.t <= t_threshold:
            continue
        if data[i - 1].t > datum.t:
            continue
        if i + 1 < size and data[i + 1].t > datum.t:
            continue
        datum.change_detected = True
    return data


def detect_change_indexes(
    values: Sequence[float],
    min_back_window: int = MIN_BACK_WINDOW,
    max_back_window: int = MAX_BACK_WINDOW,
    fore_window: int = FORE_WINDOW,
    t_threshold: float = T_THRESHOLD,
) -> list[int]:
    """Indexes of changes in a series with one value per push (index = first value after the change)."""
    data = [RevisionDatum(index, index, [float(v)]) for index, v in enumerate(values)]
    detect_changes(data, min_back_window, max_back_window, fore_window, t_threshold)
    return [index for index, datum in enumerate(data) if datum.change_detected]
