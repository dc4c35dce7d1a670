"""Scoring regression detectors on labelled series (``treeherder perf evaluate``).

Input: ``{"series": [{"name", "values": [...], "change_points": [...], "annotators"?: [[...], ...]}]}``.
Series with ``annotators`` (several people's marks, as in the Mozilla benchmark) are scored as
TCPDBench does and averaged over series; other series are scored pooled over the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeherder.perf.detect import DETECTORS, Detector
from treeherder.perf.scoring import Score, mean_score, pooled_score, tcpdbench_score

DEFAULT_TOLERANCE = 5


class InvalidSeriesFile(ValueError):
    """The labelled-series file does not have the expected shape."""


@dataclass(frozen=True, slots=True)
class LabelledSeries:
    name: str
    values: list[float]
    change_points: list[int]
    annotators: list[list[int]] | None = None


def parse_series_file(document: Any) -> list[LabelledSeries]:
    """Check and convert a parsed labelled-series document."""
    if not isinstance(document, Mapping) or not isinstance(document.get("series"), list):
        raise InvalidSeriesFile('expected an object with a "series" array')
    parsed = []
    for position, item in enumerate(document["series"]):
        name = item.get("name", str(position)) if isinstance(item, Mapping) else str(position)
        try:
            values = [float(v) for v in item["values"]]
            change_points = sorted({int(i) for i in item.get("change_points", [])})
            annotators = item.get("annotators")
            if annotators is not None:
                annotators = [sorted({int(i) for i in marks}) for marks in annotators]
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidSeriesFile(f"series {name!r}: {error}") from None
        if any(not 0 <= i < len(values) for i in change_points):
            raise InvalidSeriesFile(f"series {name!r}: change point outside the series")
        parsed.append(LabelledSeries(str(name), values, change_points, annotators))
    return parsed


def load_series_file(path: str | Path) -> list[LabelledSeries]:
    try:
        document = json.loads(Path(path).read_bytes())
    except json.JSONDecodeError as error:
        raise InvalidSeriesFile(f"{path}: not JSON ({error})") from None
    return parse_series_file(document)


def uses_annotators(series: Sequence[LabelledSeries]) -> bool:
    """TCPDBench scoring applies when every series carries its annotators' marks."""
    return bool(series) and all(s.annotators is not None for s in series)


def score_detector(detector: Detector, series: Sequence[LabelledSeries], tolerance: int) -> Score:
    """Precision, recall and F1 of ``detector`` over ``series`` with a ``tolerance``-point margin."""
    predictions = [detector.change_indexes(s.values) for s in series]
    if uses_annotators(series):
        # As the study's pipeline: predictions at the first or last index are not scored.
        return mean_score(
            [
                tcpdbench_score(s.annotators or [], [i for i in found if 0 < i < len(s.values) - 1], tolerance)
                for s, found in zip(series, predictions)
            ]
        )
    return pooled_score(((s.change_points, found) for s, found in zip(series, predictions)), tolerance)


def evaluate(
    series: Sequence[LabelledSeries], detectors: Iterable[Detector] | None = None, tolerance: int = DEFAULT_TOLERANCE
) -> dict[str, Score]:
    """Score each detector (all registered ones by default), keyed by detector name."""
    chosen = list(detectors) if detectors is not None else list(DETECTORS.values())
    return {detector.name: score_detector(detector, series, tolerance) for detector in chosen}


def format_table(scores: Mapping[str, Score], series_count: int, tolerance: int, annotated: bool) -> str:
    """Human-readable score table."""
    method = "multi-annotator (TCPDBench), mean over series" if annotated else "pooled over series"
    lines = [
        f"{series_count} series, tolerance {tolerance} points, {method}",
        f"{'detector':<12} {'precision':>9} {'recall':>9} {'F1':>9}",
    ]
    for name, score in scores.items():
        lines.append(f"{name:<12} {score.precision:>9.3f} {score.recall:>9.3f} {score.f1:>9.3f}")
    return "\n".join(lines)
