"""Offline change-point detectors: kernel PELT (default) and E-Divisive means.

Both look at a whole series at once instead of two fixed windows, so they place a change at
the push where the distribution moved even when the change is small against the noise, and they
are robust to the outliers and bimodal values that make Perfherder's t-test fire or miss.

* ``pelt``: penalised kernel change-point detection, solved exactly by PELT (Killick et al.
  2012) with a Gaussian (RBF) kernel cost (Arlot, Celisse & Harchaoui 2019). The kernel
  bandwidth is set from the series' own noise (the MAD of first differences) so that outliers
  barely count and two modes are seen as one distribution. In the study on Mozilla's data
  this cost scored highest among single methods (see /work/shared/perf-benchmark/README.md).
* ``edivisive``: E-Divisive means (Matteson & James 2014), as in MongoDB's and Apache Otava's
  work: binary segmentation on the energy distance, each split kept only if a permutation test
  with a fixed seed finds it significant.

A final pass drops changes whose relative shift of the medians on both sides is below a minimum
magnitude, the same idea as Perfherder's 2 % alert threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

#: Minimum points of a regime; also the minimum distance between two reported changes.
MIN_SIZE = 5


def noise_scale(x: np.ndarray) -> float:
    """Robust estimate of the point-to-point noise (standard deviation under Gaussian noise)."""
    if len(x) < 3:
        return 1.0
    scale = 1.4826 * float(np.median(np.abs(np.diff(x)))) / math.sqrt(2)
    if scale <= 0:
        scale = float(np.std(x))
    if scale <= 0:
        scale = max(abs(float(np.median(x))) * 1e-6, 1e-12)
    return scale


def pelt_rbf(values: Sequence[float], penalty: float, bandwidth: float, min_size: int = MIN_SIZE) -> list[int]:
    """Exact penalised segmentation with the RBF kernel cost; returns the first index of each new segment.

    ``bandwidth`` is in units of the series' noise scale. The cost of a segment [s, t) is
    ``(t - s) - sum_{i,j in [s,t)} k(x_i, x_j) / (t - s)``; the sums are kept per candidate
    start and grown by one kernel row per step, so memory stays linear.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2 * min_size:
        return []
    gamma = 1.0 / (2.0 * (bandwidth * noise_scale(x)) ** 2)
    best = np.full(n + 1, np.inf)
    best[0] = -penalty
    previous = np.zeros(n + 1, dtype=np.int64)
    starts = np.zeros(0, dtype=np.int64)  # candidate segment starts
    sums = np.zeros(0)  # kernel sum over [start, t)^2 for each candidate
    for t in range(1, n + 1):
        # A start s becomes a candidate once best[s] is known.
        if t - 1 >= 0 and (t - 1 == 0 or np.isfinite(best[t - 1])):
            starts = np.append(starts, t - 1)
            sums = np.append(sums, 0.0)
        newest = x[t - 1]
        low = int(starts[0])
        row = np.exp(-gamma * (x[low : t - 1] - newest) ** 2)
        suffix = np.concatenate((np.cumsum(row[::-1])[::-1], [0.0]))
        sums += 2.0 * suffix[starts - low] + 1.0
        lengths = t - starts
        costs = lengths - sums / lengths
        admissible = lengths >= min_size
        if not admissible.any():
            continue
        totals = best[starts] + costs + penalty
        candidate_totals = np.where(admissible, totals, np.inf)
        pick = int(np.argmin(candidate_totals))
        best[t] = candidate_totals[pick]
        previous[t] = starts[pick]
        # PELT pruning: a start that is already worse than the optimum can never win later.
        keep = ~admissible | (totals - penalty <= best[t])
        starts, sums = starts[keep], sums[keep]
    changes = []
    t = n
    while t > 0:
        s = int(previous[t])
        if s > 0:
            changes.append(s)
        t = s
    return sorted(changes)


def _energy_statistic(z: np.ndarray, min_size: int) -> tuple[int, float]:
    """Best split of ``z`` by the E-Divisive statistic (alpha = 1); returns (index, value)."""
    m = len(z)
    distances = np.abs(z[:, None] - z[None, :])
    upper = np.triu(distances, 1)
    left_rows = upper.sum(axis=0)  # for k: sum over i < k of |z_i - z_k|
    right_rows = upper.sum(axis=1)  # for j: sum over k > j of |z_j - z_k|
    within_left = np.concatenate(([0.0], np.cumsum(left_rows)))  # [tau] = pairs inside z[:tau]
    within_right = np.concatenate((np.cumsum(right_rows[::-1])[::-1], [0.0]))  # [tau] = pairs in z[tau:]
    total = within_left[m]
    taus = np.arange(min_size, m - min_size + 1)
    if len(taus) == 0:
        return -1, 0.0
    left_n = taus.astype(float)
    right_n = m - left_n
    wl = within_left[taus]
    wr = within_right[taus]
    cross = total - wl - wr
    statistic = (
        2.0 * cross / (left_n * right_n) - wl / (left_n * (left_n - 1) / 2) - wr / (right_n * (right_n - 1) / 2)
    ) * (left_n * right_n / m)
    best = int(np.argmax(statistic))
    return int(taus[best]), float(statistic[best])


def e_divisive(
    values: Sequence[float],
    significance: float = 0.01,
    permutations: int = 199,
    min_size: int = MIN_SIZE,
    window: int = 300,
    seed: int = 1,
) -> list[int]:
    """E-Divisive means with a permutation test, on overlapping windows of ``window`` points.

    Windows bound the quadratic cost on long series (Otava splits long series the same way);
    changes found in the overlap of two windows are merged.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    rng = np.random.default_rng(seed)
    found: set[int] = set()
    step = max(window // 2, 1)
    start = 0
    while True:
        end = min(start + window, n)
        found.update(start + c for c in _e_divisive_segment(x[start:end], significance, permutations, min_size, rng))
        if end >= n:
            break
        start += step
    merged: list[int] = []
    for point in sorted(found):
        if merged and point - merged[-1] < min_size:
            continue
        merged.append(point)
    return merged


def _e_divisive_segment(
    x: np.ndarray, significance: float, permutations: int, min_size: int, rng: np.random.Generator
) -> list[int]:
    boundaries = [0, len(x)]
    changes: list[int] = []
    while True:
        best: tuple[float, int, int, int] | None = None  # (statistic, split, lo, hi)
        for lo, hi in pairwise(boundaries):
            if hi - lo < 2 * min_size:
                continue
            split, statistic = _energy_statistic(x[lo:hi], min_size)
            if split > 0 and (best is None or statistic > best[0]):
                best = (statistic, lo + split, lo, hi)
        if best is None:
            return sorted(changes)
        statistic, split, lo, hi = best
        segment = x[lo:hi]
        # The p-value is (exceed + 1) / (permutations + 1); stop permuting as soon as it can no
        # longer reach the significance level.
        allowed = significance * (permutations + 1) - 1
        exceed = 0
        for _ in range(permutations):
            if _energy_statistic(rng.permutation(segment), min_size)[1] >= statistic:
                exceed += 1
                if exceed > allowed:
                    return sorted(changes)
        changes.append(split)
        boundaries = sorted(boundaries + [split])


def drop_small_changes(
    values: Sequence[float],
    changes: Sequence[int],
    min_relative: float,
    min_z: float = 0.0,
    window: int = 24,
) -> list[int]:
    """Remove, weakest first, changes that move the local median too little.

    A change stays when the medians of at most ``window`` points on each side (never past the
    neighbouring changes) differ by at least ``min_relative`` of their size and by at least
    ``min_z`` standard errors of a median under the series' noise. The local view keeps a slow
    drift, which kernel segmentation cuts into steps, from passing as a change.
    """
    x = np.asarray(values, dtype=float)
    noise = noise_scale(x)
    kept = sorted(changes)
    while kept:
        bounds = [0, *kept, len(x)]
        strengths = []
        for i in range(1, len(bounds) - 1):
            left = x[max(bounds[i - 1], bounds[i] - window) : bounds[i]]
            right = x[bounds[i] : min(bounds[i + 1], bounds[i] + window)]
            before, after = float(np.median(left)), float(np.median(right))
            scale = max(abs(before), abs(after))
            relative = abs(after - before) / scale if scale > 0 else 0.0
            # standard error of a difference of two medians: 1.2533 sigma / sqrt(n) each
            stderr = 1.2533 * noise * math.sqrt(1 / len(left) + 1 / len(right))
            z = abs(after - before) / stderr if stderr > 0 else math.inf
            strengths.append(
                min(relative / min_relative if min_relative else math.inf, z / min_z if min_z else math.inf)
            )
        weakest = int(np.argmin(strengths))
        if strengths[weakest] >= 1.0:
            break
        del kept[weakest]
    return kept
