import math

import pytest

from treeherder.perf.compare import compare_runs, confidence_text, t_confidence


def test_two_sided_runs():
    stats = compare_runs([10, 12, 14], [15, 17, 19], lower_is_better=True)
    assert stats.base_avg_value == 12 and stats.new_avg_value == 17
    assert stats.base_median_value == 12 and stats.new_median_value == 17
    assert stats.base_stddev == pytest.approx(2.0) and stats.new_stddev == pytest.approx(2.0)
    assert stats.base_stddev_pct == 16.67 and stats.new_stddev_pct == 11.76
    assert stats.confidence == pytest.approx(5 / math.sqrt(8 / 3))
    assert stats.confidence_text == "Medium"
    assert stats.delta_value == 5 and stats.delta_percentage == pytest.approx(500 / 12)
    assert stats.magnitude == 100
    assert not stats.new_is_better and not stats.is_confident and stats.more_runs_are_needed
    # medium confidence and worse: a warning, neither improvement nor regression nor "meaningful"
    assert (stats.is_improvement, stats.is_regression, stats.is_meaningful) == (False, False, False)


def test_confident_regression_and_improvement():
    base = [100, 101, 99, 100, 101, 99]
    worse = [110, 111, 109, 110, 111, 109]
    stats = compare_runs(base, worse, lower_is_better=True)
    assert stats.is_confident and not stats.more_runs_are_needed
    assert stats.is_regression and not stats.is_improvement and stats.confidence_text == "High"
    better = compare_runs(base, worse, lower_is_better=False)
    assert better.is_improvement and better.new_is_better


def test_small_change_is_not_classified():
    stats = compare_runs([100, 100.2, 99.8] * 3, [101, 101.2, 100.8] * 3, lower_is_better=True)
    assert stats.confidence > 5  # significant, but only 1 %
    assert stats.is_meaningful and not stats.is_regression


def test_one_run_side_borrows_relative_spread():
    new = [12, 14]
    new_sd = math.sqrt(2)
    base_sd = 10 * new_sd / 13
    assert t_confidence([10], new) == pytest.approx(3 / math.sqrt(base_sd**2 + new_sd**2 / 2))
    assert t_confidence([10], [10]) == 0  # zero spread on both sides: division by zero gives 0


def test_empty_side():
    stats = compare_runs([], [1, 2], lower_is_better=True)
    assert stats.confidence == 0 and stats.confidence_text == "" and stats.base_avg_value == 0
    assert stats.delta_percentage == 0 and not stats.more_runs_are_needed


def test_noise_metric_header():
    stats = compare_runs([3, 4], [6, 8], lower_is_better=True, header_name="noise metric")
    assert stats.base_avg_value == 5 and stats.new_avg_value == 10
    assert stats.base_stddev == stats.new_stddev == 1


@pytest.mark.parametrize("value, text", [(0, ""), (2.9, "Low"), (3, "Medium"), (4.99, "Medium"), (5, "High")])
def test_confidence_text(value, text):
    assert confidence_text(value) == text
