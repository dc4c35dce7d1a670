"""Regression detectors by name.

``ttest`` is upstream Perfherder's detector and the default; ``edivisive`` and ``pelt`` are
offline change-point detectors (see :mod:`treeherder.perf.detect.changepoint`). A framework can
be switched to another detector by name (see :func:`detector_for_framework`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from treeherder.perf.detect import changepoint, ttest

#: Minimum relative shift of the local medians for a change-point detection (Perfherder's 2 %).
MIN_RELATIVE_CHANGE = 0.02
#: Minimum shift of the local medians in standard errors, so drifts and noise do not pass.
MIN_Z = 5.0
DEFAULT_DETECTOR = "ttest"


@dataclass(frozen=True, slots=True)
class Detector:
    """A named function from a series (one value per push, in push order) to change indexes."""

    name: str
    description: str
    find: Callable[[Sequence[float]], list[int]]

    def change_indexes(self, values: Sequence[float]) -> list[int]:
        """Indexes of the first value after each change."""
        if len(values) < 2:
            return []
        return self.find(values)


def _ttest(values: Sequence[float]) -> list[int]:
    # As Perfherder alerts: a detection only counts when the change is at least 2 %.
    data = [ttest.RevisionDatum(i, i, [float(v)]) for i, v in enumerate(values)]
    ttest.detect_changes(data)
    found = []
    for i, datum in enumerate(data):
        if not datum.change_detected:
            continue
        prev, new = datum.historical_stats.avg, datum.forward_stats.avg
        pct = 100 * abs(new - prev) / prev if prev != 0 else 0.0
        if pct >= 2.0:
            found.append(i)
    return found


def _edivisive(values: Sequence[float]) -> list[int]:
    changes = changepoint.e_divisive(values, significance=0.01, permutations=99, window=300, seed=1)
    return changepoint.drop_small_changes(values, changes, MIN_RELATIVE_CHANGE, MIN_Z)


def _pelt(values: Sequence[float]) -> list[int]:
    changes = changepoint.pelt_rbf(values, penalty=0.5 * math.log(len(values)), bandwidth=2.0)
    return changepoint.drop_small_changes(values, changes, MIN_RELATIVE_CHANGE, MIN_Z)


DETECTORS: dict[str, Detector] = {
    detector.name: detector
    for detector in (
        Detector("ttest", "Perfherder's t-test (12-24 back, 12 ahead, t > 7, >= 2 %)", _ttest),
        Detector("edivisive", "E-Divisive means, permutation test, local 2 % / 5 SE filter", _edivisive),
        Detector("pelt", "kernel (RBF) PELT, local 2 % / 5 SE filter", _pelt),
    )
}


def get_detector(name: str) -> Detector:
    """The detector called ``name``; raises ``KeyError`` listing the known names."""
    try:
        return DETECTORS[name]
    except KeyError:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(sorted(DETECTORS))}") from None


def detector_for_framework(framework: str, choices: Mapping[str, str] | None = None) -> Detector:
    """The detector configured for ``framework`` in ``choices`` (framework name → detector name)."""
    return get_detector((choices or {}).get(framework, DEFAULT_DETECTOR))


def parse_detector_choices(text: str) -> dict[str, str]:
    """``"talos=edivisive, awsy=pelt"`` → ``{"talos": "edivisive", "awsy": "pelt"}`` (for a setting).

    Raises ``ValueError`` naming the bad entry and the known detectors.
    """
    choices: dict[str, str] = {}
    for entry in text.replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        framework, sep, name = (part.strip() for part in entry.partition("="))
        if not sep or not framework or name not in DETECTORS:
            raise ValueError(
                f"{entry!r}: expected FRAMEWORK=DETECTOR with DETECTOR one of {', '.join(sorted(DETECTORS))}"
            )
        choices[framework] = name
    return choices
