import json
import math

import pytest

from treeherder.perf.detect.ttest import (
    RevisionDatum,
    detect_changes,
    welch_t,
    window_stats,
)

EXPECTED_CHANGES = {
    "runs1.json": [1365019665],
    "runs2.json": [1357704596, 1358971894, 1365014104],
    "runs3.json": [1335293827, 1338839958],
    "runs4.json": [1364922838],
    "runs5.json": [],
    "a11y.json": [1366197637, 1367799757],
    "tp5rss.json": [1372846906, 1373413365, 1373424974],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CHANGES))
def test_upstream_series_changes(shared_fixtures, name):
    runs = json.loads((shared_fixtures / "perf" / "series" / name).read_text())["test_runs"]
    data = [RevisionDatum(run[2], None, [run[3]]) for run in runs]
    detect_changes(data, min_back_window=12, max_back_window=24, fore_window=12, t_threshold=7)
    assert [d.push_timestamp for d in data if d.change_detected] == EXPECTED_CHANGES[name]


def test_window_stats_weighted_average_and_variance():
    window = [[1.0, 3.0], [5.0]]
    uniform = window_stats(window)
    assert uniform.avg == pytest.approx(3.0) and uniform.n == 3 and uniform.variance == pytest.approx(4.0)
    linear = window_stats(window, linear=True)
    # weights 2/2 for the first revision, 1/2 for the second: (4 + 2.5) / (2 + 0.5)
    assert linear.avg == pytest.approx(6.5 / 2.5)
    assert linear.variance == pytest.approx(sum((v - 2.6) ** 2 for v in (1, 3, 5)) / 2)


def test_t_edge_cases():
    assert welch_t([], [[1.0]]) == 0
    assert welch_t([[1.0], [1.0]], [[1.0], [1.0]]) == 0
    assert welch_t([[1.0], [1.0]], [[2.0], [2.0]]) == math.inf


def test_retriggers_count_towards_windows():
    # 6 pushes with 2 values each fill a 12-value window
    data = [RevisionDatum(i, i, [10.0, 10.2] if i < 20 else [12.0, 12.2]) for i in range(40)]
    detect_changes(data, min_back_window=12, max_back_window=24, fore_window=12)
    flagged = [d.push_id for d in data if d.change_detected]
    assert flagged == [20]
    assert data[20].amount_next_data == 12
    assert data[20].forward_stats.avg == pytest.approx(12.1)
