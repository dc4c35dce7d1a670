"""The benchmark harness: scenarios measured against baselines run alongside them.

These machines are noisy and shared, so an absolute figure from one run says little about another run. Every
scenario therefore measures a baseline in the same run, on the same machine, against the same database (for example
a raw `executemany` insert of rows of the same width, or the same response bytes served as a static response), and
reports the ratio. Targets are ratios.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from treeherder.process import settle_start_up_objects

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Result:
    scenario: str
    database: str
    value: float
    unit: str
    baseline_value: float
    target_ratio: float
    higher_is_better: bool = True
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.value / self.baseline_value if self.baseline_value else 0.0
        return self.baseline_value / self.value if self.value else 0.0

    @property
    def meets_target(self) -> bool:
        return self.ratio >= self.target_ratio

    def as_json(self) -> dict:
        out = asdict(self)
        out["ratio"] = round(self.ratio, 4)
        out["meets_target"] = self.meets_target
        return out


#: The issue's bound on the server's and the worker's peak resident memory.
MEMORY_TARGET_MB = 300.0


def peak_memory_result(
    scenario: str, database: str, megabytes: float, *, notes: str = "", extra: dict | None = None
) -> Result:
    """A peak-memory figure against MEMORY_TARGET_MB (lower is better; the ratio is target / figure)."""
    return Result(
        scenario=scenario,
        database=database,
        value=megabytes,
        unit="MB",
        baseline_value=MEMORY_TARGET_MB,
        target_ratio=1.0,
        higher_is_better=False,
        notes=f"target: under {MEMORY_TARGET_MB:.0f} MB{notes}",
        extra=extra or {},
    )


SIZES = ("tiny", "quick", "large")


def by_size(size: str, tiny, quick, large):
    """The parameter of a scenario for `size`: tiny (the smoke test), quick (`make bench`) or large."""
    return {"tiny": tiny, "quick": quick, "large": large}[size]


def best_rate(work: Callable[[], int], *, repeat: int = 3) -> float:
    """Items per second of `work` (which returns how many items it handled), best of `repeat` runs.

    The best run is the least disturbed by other processes on a shared machine.
    """
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        items = work()
        elapsed = time.perf_counter() - start
        rates.append(items / elapsed if elapsed else float("inf"))
    return max(rates)


@contextmanager
def settled_like_a_server() -> Iterator[None]:
    """Garbage collection as in `treeherder serve` and `pulse-listen` (treeherder.process), for work timed inside
    the benchmark process: without it, collections triggered by the timed work walk the benchmark's own datasets."""
    threshold = gc.get_threshold()
    settle_start_up_objects()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def progress(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    print(f"  … {message}", file=sys.stderr, flush=True)


def format_table(results: list[Result]) -> str:
    headers = ("scenario", "database", "value", "baseline", "ratio", "target", "ok")
    rows = [
        (
            r.scenario,
            r.database,
            f"{r.value:,.1f} {r.unit}",
            f"{r.baseline_value:,.1f} {r.unit}",
            f"{r.ratio:.2f}",
            f"≥ {r.target_ratio:.2f}",
            "yes" if r.meets_target else "NO",
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    out = [line(headers), line("-" * w for w in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)


def write_results(results: list[Result], size: str, path: Path | None = None) -> Path:
    path = path or RESULTS_DIR / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "size": size,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "results": [r.as_json() for r in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
