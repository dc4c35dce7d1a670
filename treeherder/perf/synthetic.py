"""Deterministic synthetic performance series with known change points, for scoring detectors.

The shipped set (``treeherder/data/perf/labelled-series.json``) is this module's output with the
default seed; ``python -m treeherder.perf.synthetic OUT`` regenerates it. Python's ``random``
is used because its sequences are stable across Python versions.

Families mimic what Perfherder series look like: level shifts under noise of several sizes,
spiky outliers, bimodal values (two machine pools or caching states), slow drifts that should
not be reported as changes, and flat series that must produce no change at all. Every label is
the index of the first value of the new regime.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20260521


def _segments(rng: random.Random, length: int, count: int, min_gap: int = 25) -> list[int]:
    """``count`` sorted change indexes at least ``min_gap`` apart and from both ends."""
    while True:
        points = sorted(rng.randrange(min_gap, length - min_gap) for _ in range(count))
        if all(b - a >= min_gap for a, b in pairwise(points)):
            return points


def _levels(rng: random.Random, base: float, count: int, low: float, high: float) -> list[float]:
    """Regime levels: each differs from the previous by a relative step in [low, high], either sign."""
    levels = [base]
    for _ in range(count):
        step = rng.uniform(low, high) * rng.choice((-1, 1))
        levels.append(levels[-1] * (1 + step))
    return levels


def _level_at(index: int, points: list[int], levels: list[float]) -> float:
    regime = sum(1 for p in points if p <= index)
    return levels[regime]


def steps(rng: random.Random, noise: float, step_low: float, step_high: float, changes: int, length: int):
    base = rng.uniform(50, 2000)
    points = _segments(rng, length, changes) if changes else []
    levels = _levels(rng, base, changes, step_low, step_high)
    values = [_level_at(i, points, levels) * (1 + rng.gauss(0, noise)) for i in range(length)]
    return values, points


def outliers(rng: random.Random, noise: float, changes: int, length: int, rate: float = 0.04):
    values, points = steps(rng, noise, 0.05, 0.15, changes, length)
    for i in range(length):
        if rng.random() < rate:
            values[i] *= 1 + rng.choice((1, -0.5)) * rng.uniform(0.2, 0.6)
    return values, points


def bimodal(rng: random.Random, noise: float, changes: int, length: int, gap: float = 0.12):
    """Values alternate at random between two modes ``gap`` apart; changes shift both modes."""
    base = rng.uniform(100, 1500)
    points = _segments(rng, length, changes) if changes else []
    levels = _levels(rng, base, changes, 0.06, 0.15)
    upper_share = rng.uniform(0.25, 0.5)
    values = []
    for i in range(length):
        level = _level_at(i, points, levels)
        mode = 1 + gap if rng.random() < upper_share else 1.0
        values.append(level * mode * (1 + rng.gauss(0, noise)))
    return values, points


def drift(rng: random.Random, noise: float, changes: int, length: int, total_drift: float = 0.15):
    """A slow linear drift of ``total_drift`` over the series (not a change) plus optional steps."""
    values, points = steps(rng, noise, 0.06, 0.15, changes, length)
    direction = rng.choice((-1, 1))
    return [v * (1 + direction * total_drift * i / length) for i, v in enumerate(values)], points


Family = Callable[[random.Random], tuple[list[float], list[int]]]


def _families() -> list[tuple[str, int, Family]]:
    """(name, how many series, generator) for every family in the labelled set."""
    return [
        ("flat-low-noise", 4, lambda r: steps(r, 0.01, 0, 0, 0, r.randrange(150, 300))),
        ("flat-high-noise", 4, lambda r: steps(r, 0.05, 0, 0, 0, r.randrange(150, 300))),
        ("step-low-noise", 6, lambda r: steps(r, 0.01, 0.03, 0.10, r.randint(1, 3), r.randrange(150, 300))),
        ("step-mid-noise", 6, lambda r: steps(r, 0.02, 0.06, 0.15, r.randint(1, 3), r.randrange(150, 300))),
        ("step-high-noise", 6, lambda r: steps(r, 0.05, 0.12, 0.30, r.randint(1, 3), r.randrange(150, 300))),
        ("small-steps", 4, lambda r: steps(r, 0.01, 0.02, 0.04, r.randint(1, 2), r.randrange(200, 300))),
        ("many-steps", 3, lambda r: steps(r, 0.015, 0.05, 0.15, r.randint(5, 7), 400)),
        ("outliers", 6, lambda r: outliers(r, 0.015, r.randint(0, 3), r.randrange(150, 300))),
        ("bimodal", 6, lambda r: bimodal(r, 0.01, r.randint(0, 2), r.randrange(150, 300))),
        ("drift", 5, lambda r: drift(r, 0.015, r.randint(0, 2), r.randrange(200, 300))),
    ]


def generate(seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The labelled set as the ``perf evaluate`` FILE format."""
    rng = random.Random(seed)
    series = []
    for family, count, make in _families():
        for number in range(count):
            values, points = make(rng)
            series.append(
                {
                    "name": f"{family}-{number}",
                    "family": family,
                    "values": [round(v, 3) for v in values],
                    "change_points": points,
                }
            )
    return {"source": {"generator": "treeherder.perf.synthetic", "seed": seed}, "series": series}


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else None
    text = json.dumps(generate(), separators=(",", ":"))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv)
