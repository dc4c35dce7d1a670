"""Compare-view statistics between a base and a new set of runs (``/api/perfcompare/results/``).

Student-t mode of upstream's compare view (PERF.md §6), as one pure function per row.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

#: Compare intervals (seconds) the API accepts.
VALID_INTERVALS = (86400, 172800, 604800, 1209600, 2592000, 5184000, 7776000, 31536000)

#: The test header whose values are combined as a root sum of squares.
NOISE_METRIC_HEADER = "noise metric"


@dataclass(frozen=True, slots=True)
class CompareStats:
    base_avg_value: float
    new_avg_value: float
    base_median_value: float
    new_median_value: float
    base_stddev: float
    new_stddev: float
    base_stddev_pct: float
    new_stddev_pct: float
    confidence: float
    confidence_text: str
    delta_value: float
    delta_percentage: float
    magnitude: float
    new_is_better: bool
    is_confident: bool
    more_runs_are_needed: bool
    is_improvement: bool
    is_regression: bool
    is_meaningful: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def _stddev(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) >= 2 else 0.0


def _stddev_pct(stddev: float, avg: float) -> float:
    if avg == 0:
        return 0.0
    return round(100 * stddev / avg * 100) / 100


def t_confidence(base: Sequence[float], new: Sequence[float]) -> float:
    """Upstream's t-like confidence; a one-run side borrows the other side's relative spread."""
    if not base or not new:
        return 0.0
    try:
        base_mean, new_mean = _mean(base), _mean(new)
        base_sd = _stddev(base) if len(base) > 1 else 0.15 * base_mean
        new_sd = _stddev(new) if len(new) > 1 else 0.15 * new_mean
        if len(base) == 1:
            base_sd = base[0] * new_sd / new_mean
        elif len(new) == 1:
            new_sd = new[0] * base_sd / base_mean
        return abs(new_mean - base_mean) / math.sqrt(base_sd**2 / len(base) + new_sd**2 / len(new))
    except ZeroDivisionError:
        return 0.0


def confidence_text(confidence: float) -> str:
    if confidence == 0:
        return ""
    if confidence < 3:
        return "Low"
    if confidence < 5:
        return "Medium"
    return "High"


def _change_class(base_avg: float, new_avg: float, confidence: float, new_is_better: bool) -> str:
    """ "success" (improvement), "danger" (regression), "warning" or "" as the compare view colours it."""
    if base_avg == 0 or new_avg == 0:
        return ""
    ratio = new_avg / base_avg
    if ratio < 1:
        ratio = 1 / ratio
    if ratio < 1.02 or confidence < 3:
        return ""
    if confidence < 5:
        return "" if new_is_better else "warning"
    return "success" if new_is_better else "danger"


def compare_runs(
    base: Sequence[float], new: Sequence[float], lower_is_better: bool, header_name: str = ""
) -> CompareStats:
    """All statistics of one compare row from the base and new runs."""
    noise_metric = header_name == NOISE_METRIC_HEADER
    if noise_metric:
        base_avg = math.sqrt(math.fsum(v * v for v in base)) if base else 0.0
        new_avg = math.sqrt(math.fsum(v * v for v in new)) if new else 0.0
        base_sd = new_sd = 1.0
    else:
        base_avg, new_avg = _mean(base), _mean(new)
        base_sd, new_sd = _stddev(base), _stddev(new)
    confidence = t_confidence(base, new)
    delta = new_avg - base_avg
    delta_pct = 100 * delta / base_avg if base_avg != 0 else 0.0
    new_is_better = (lower_is_better and delta < 0) or (not lower_is_better and delta > 0)
    is_confident = (len(base) > 1 and len(new) > 1 and confidence >= 5) or (
        len(base) >= 6 and len(new) >= 6 and confidence >= 3
    )
    change = _change_class(base_avg, new_avg, confidence, new_is_better)
    return CompareStats(
        base_avg_value=base_avg,
        new_avg_value=new_avg,
        base_median_value=_median(base),
        new_median_value=_median(new),
        base_stddev=base_sd,
        new_stddev=new_sd,
        base_stddev_pct=_stddev_pct(base_sd, base_avg),
        new_stddev_pct=_stddev_pct(new_sd, new_avg),
        confidence=confidence,
        confidence_text=confidence_text(confidence),
        delta_value=delta,
        delta_percentage=delta_pct,
        magnitude=min(abs(delta_pct) * 5, 100),
        new_is_better=new_is_better,
        is_confident=is_confident,
        more_runs_are_needed=bool(base) and bool(new) and not is_confident and len(base) < 6,
        is_improvement=change == "success",
        is_regression=change == "danger",
        is_meaningful=change == "",
    )
