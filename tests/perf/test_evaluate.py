import json
from importlib import resources

import pytest
from click.testing import CliRunner

from treeherder.perf import synthetic
from treeherder.perf.cli import perf
from treeherder.perf.detect import DETECTORS
from treeherder.perf.evaluate import (
    InvalidSeriesFile,
    LabelledSeries,
    load_series_file,
    parse_series_file,
    score_detector,
    uses_annotators,
)
from treeherder.perf.scoring import (
    count_true_positives,
    mean_score,
    pooled_score,
    tcpdbench_score,
)

LABELLED = resources.files("treeherder") / "data" / "perf" / "labelled-series.json"


def test_true_positives_are_one_to_one_and_nearest():
    assert count_true_positives([10, 12], [11], margin=5) == 1
    assert count_true_positives([10, 30], [14, 31, 80], margin=5) == 2
    assert count_true_positives([10], [16], margin=5) == 0
    assert count_true_positives([10], [13], margin=3) == 1


def test_tcpdbench_score_example():
    score = tcpdbench_score([[10, 20], [10]], [11, 50], margin=5)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx((2 / 3 + 1) / 2)
    assert score.f1 == pytest.approx(2 * (2 / 3) * (5 / 6) / (2 / 3 + 5 / 6))
    # an annotator with no marks is fully recalled by the trivial point 0
    assert tcpdbench_score([[]], [], margin=5).f1 == 1.0


def test_pooled_score_counts_false_alarms_on_flat_series():
    score = pooled_score([([50], [51]), ([], [10, 20])], margin=5)
    assert score.precision == pytest.approx(1 / 3) and score.recall == 1.0
    assert pooled_score([([], [])], margin=5).f1 == 1.0


def test_shipped_set_is_the_generator_output():
    assert json.loads(LABELLED.read_text()) == json.loads(json.dumps(synthetic.generate()))


def test_shipped_set_covers_the_families():
    families = {s["family"] for s in json.loads(LABELLED.read_text())["series"]}
    assert {"flat-high-noise", "step-low-noise", "outliers", "bimodal", "drift"} <= families


def _evaluate_json(path, *options):
    result = CliRunner().invoke(perf, ["evaluate", str(path), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_evaluate_shipped_set_change_point_beats_ttest():
    scores = _evaluate_json(LABELLED)
    assert set(scores) == {"ttest", "edivisive", "pelt"}
    for score in scores.values():
        assert set(score) == {"precision", "recall", "f1"}
    assert scores["edivisive"]["f1"] >= scores["ttest"]["f1"]
    assert scores["pelt"]["f1"] >= scores["ttest"]["f1"]
    assert scores["ttest"]["f1"] > 0.5  # sanity: the set is within reach of the upstream detector


def test_evaluate_single_detector_and_table(tmp_path):
    path = tmp_path / "one.json"
    values = [10.0] * 30 + [12.0] * 30
    path.write_text(json.dumps({"series": [{"name": "step", "values": values, "change_points": [30]}]}))
    assert _evaluate_json(path, "--detector", "pelt") == {"pelt": {"precision": 1.0, "recall": 1.0, "f1": 1.0}}
    result = CliRunner().invoke(perf, ["evaluate", str(path), "--tolerance", "0"])
    assert result.exit_code == 0
    assert "tolerance 0 points, pooled" in result.output
    assert result.output.splitlines()[2].split() == ["ttest", "1.000", "1.000", "1.000"]


def test_evaluate_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"series": [{"name": "x", "values": [1, 2], "change_points": [5]}]}')
    result = CliRunner().invoke(perf, ["evaluate", str(bad)])
    assert result.exit_code == 2 and "outside" in result.output
    with pytest.raises(InvalidSeriesFile):
        parse_series_file({"series": [{"values": "nope"}]})
    with pytest.raises(InvalidSeriesFile):
        parse_series_file([])


def test_mozilla_benchmark_multi_annotator_scores(shared_fixtures):
    path = shared_fixtures.parent / "perf-benchmark" / "mozperf-dev.json"
    if not path.exists():
        pytest.skip("Mozilla benchmark not laid out beside the fixtures")
    series = load_series_file(path)
    assert uses_annotators(series)
    predictions = {name: [d.change_indexes(s.values) for s in series] for name, d in DETECTORS.items()}

    def f1_at(name, margin):
        return mean_score(
            [
                tcpdbench_score(s.annotators, [i for i in found if 0 < i < len(s.values) - 1], margin)
                for s, found in zip(series, predictions[name])
            ]
        ).f1

    # The README's simplified t-test scores F1 0.670 (margin 5); ours is the exact one.
    assert 0.6 < f1_at("ttest", 5) < 0.75
    for margin in (5, 3):
        assert f1_at("edivisive", margin) > f1_at("ttest", margin)
        assert f1_at("pelt", margin) > f1_at("ttest", margin)


UPSTREAM_SERIES_CHANGES = {
    "runs1.json": [1365019665],
    "runs2.json": [1357704596, 1358971894, 1365014104],
    "runs3.json": [1335293827, 1338839958],
    "runs4.json": [1364922838],
    "runs5.json": [],
    "a11y.json": [1366197637, 1367799757],
    "tp5rss.json": [1372846906, 1373413365, 1373424974],
}


def test_change_point_detectors_on_upstream_series(shared_fixtures):
    """The graph-server series upstream's detector test uses: most of its expected changes are found."""
    series = []
    for name, stamps in UPSTREAM_SERIES_CHANGES.items():
        runs = sorted(
            json.loads((shared_fixtures / "perf" / "series" / name).read_text())["test_runs"], key=lambda r: r[2]
        )
        times = [run[2] for run in runs]
        series.append(LabelledSeries(name, [run[3] for run in runs], [times.index(s) for s in stamps]))
    for name in ("edivisive", "pelt"):
        score = score_detector(DETECTORS[name], series, tolerance=5)
        assert score.recall >= 0.8, (name, score)
