import math
import random

import numpy as np
import pytest

from treeherder.perf.detect import (
    DETECTORS,
    detector_for_framework,
    get_detector,
    parse_detector_choices,
)
from treeherder.perf.detect.changepoint import (
    _energy_statistic,
    drop_small_changes,
    e_divisive,
    noise_scale,
    pelt_rbf,
)


def _steps(levels, length, sd, seed):
    rng = random.Random(seed)
    return [levels[i * len(levels) // length] + rng.gauss(0, sd) for i in range(length)]


def _optimal_partition(x, penalty, bandwidth, min_size):
    """Brute-force dynamic programme over all segmentations, for checking PELT's pruning."""
    x = np.asarray(x)
    gamma = 1 / (2 * (bandwidth * noise_scale(x)) ** 2)
    gram = np.exp(-gamma * (x[:, None] - x[None, :]) ** 2)
    n = len(x)
    best = [math.inf] * (n + 1)
    best[0] = -penalty
    prev = [0] * (n + 1)
    for t in range(min_size, n + 1):
        for s in range(t - min_size + 1):
            if best[s] == math.inf:
                continue
            cost = (t - s) - gram[s:t, s:t].sum() / (t - s)
            total = best[s] + cost + penalty
            if total < best[t]:
                best[t], prev[t] = total, s
    changes, t = [], n
    while t > 0:
        if prev[t] > 0:
            changes.append(prev[t])
        t = prev[t]
    return sorted(changes)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pelt_matches_exhaustive_search(seed):
    x = _steps([10, 12, 11, 14], 80, 0.6, seed)
    for penalty in (1.0, 3.0, 8.0):
        assert pelt_rbf(x, penalty, 2.0, 5) == _optimal_partition(x, penalty, 2.0, 5)


def test_energy_statistic_matches_definition():
    rng = np.random.default_rng(0)
    z = np.concatenate((rng.normal(0, 1, 15), rng.normal(2, 1, 12)))
    m = len(z)

    def direct(tau):
        left, right = z[:tau], z[tau:]
        cross = np.abs(left[:, None] - right[None, :]).mean()
        within_left = np.abs(left[:, None] - left[None, :]).sum() / (len(left) * (len(left) - 1))
        within_right = np.abs(right[:, None] - right[None, :]).sum() / (len(right) * (len(right) - 1))
        return (2 * cross - within_left - within_right) * len(left) * len(right) / m

    tau, value = _energy_statistic(z, 3)
    expected = max(range(3, m - 2), key=direct)
    assert tau == expected and value == pytest.approx(direct(expected))


def test_e_divisive_finds_steps_and_is_deterministic():
    x = _steps([100, 110, 104], 150, 1.0, seed=4)
    found = e_divisive(x, permutations=99)
    assert len(found) == 2
    assert abs(found[0] - 50) <= 2 and abs(found[1] - 100) <= 2
    assert e_divisive(x, permutations=99) == found


def test_e_divisive_windows_cover_long_series():
    x = _steps([100, 100, 100, 100, 100, 120, 120, 120], 800, 1.0, seed=5)
    found = e_divisive(x, permutations=99, window=200)
    assert len(found) == 1 and abs(found[0] - 500) <= 2


@pytest.mark.parametrize("name", ["edivisive", "pelt"])
def test_change_point_detectors_ignore_flat_noise_outliers_and_drift(name):
    detector = get_detector(name)
    rng = random.Random(6)
    flat = [200 + rng.gauss(0, 4) for _ in range(300)]
    assert detector.change_indexes(flat) == []
    spiky = [v * 1.5 if i % 37 == 0 else v for i, v in enumerate(flat)]
    assert detector.change_indexes(spiky) == []
    drifting = [v * (1 + 0.15 * i / 300) for i, v in enumerate(flat)]
    assert detector.change_indexes(drifting) == []


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_finds_a_clear_step(name):
    x = _steps([100, 108], 120, 1.0, seed=7)
    found = get_detector(name).change_indexes(x)
    assert len(found) == 1 and abs(found[0] - 60) <= 2


def test_drop_small_changes_keeps_real_step_only():
    x = _steps([100, 100.5, 110], 150, 0.5, seed=8)
    assert drop_small_changes(x, [50, 100], min_relative=0.02, min_z=5) == [100]
    assert drop_small_changes(x, [50, 100], min_relative=0.001, min_z=0) == [50, 100]


def test_registry():
    assert set(DETECTORS) == {"ttest", "edivisive", "pelt"}
    assert detector_for_framework("talos").name == "ttest"
    assert detector_for_framework("talos", {"talos": "edivisive"}).name == "edivisive"
    with pytest.raises(KeyError, match="known"):
        get_detector("magic")
    assert get_detector("pelt").change_indexes([1.0]) == []


def test_parse_detector_choices():
    assert parse_detector_choices(" talos=edivisive, awsy = pelt ;") == {"talos": "edivisive", "awsy": "pelt"}
    assert parse_detector_choices("") == {}
    with pytest.raises(ValueError, match="known|one of"):
        parse_detector_choices("talos=magic")
    with pytest.raises(ValueError):
        parse_detector_choices("talos")
