"""Scoring change-point predictions against labelled change points.

Two modes:

* TCPDBench (van den Burg & Williams, arXiv:2003.06222) for series annotated by several people:
  the trivial point 0 is added to every set, precision is measured against the union of the
  annotations, recall is averaged over annotators, and scores are averaged over series.
* Pooled for series with one set of true change points: true positives, predictions and truths
  are summed over all series before precision and recall are computed, so series without any
  change (where precision or recall alone is undefined) still count.

A true point matches the nearest unused prediction at most ``margin`` indexes away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def count_true_positives(truth: Iterable[int], predicted: Iterable[int], margin: int) -> int:
    """Greedy one-to-one matching: each true point (in index order) takes its nearest free prediction."""
    free = sorted(set(predicted))
    hits = 0
    for point in sorted(set(truth)):
        best = None
        for candidate in free:
            distance = abs(candidate - point)
            if distance <= margin and (best is None or distance < abs(best - point)):
                best = candidate
        if best is not None:
            free.remove(best)
            hits += 1
    return hits


def tcpdbench_score(annotators: Sequence[Sequence[int]], predicted: Iterable[int], margin: int) -> Score:
    """Multi-annotator precision, recall and F1 of one series (trivial point 0 added everywhere)."""
    predictions = set(predicted) | {0}
    truths = [set(marks) | {0} for marks in annotators] or [{0}]
    union = set().union(*truths)
    precision = count_true_positives(union, predictions, margin) / len(predictions)
    recall = sum(count_true_positives(t, predictions, margin) / len(t) for t in truths) / len(truths)
    return Score(precision, recall, f1(precision, recall))


def mean_score(scores: Sequence[Score]) -> Score:
    """Average of per-series scores (F1 averaged too, not recomputed)."""
    if not scores:
        return Score(0.0, 0.0, 0.0)
    n = len(scores)
    return Score(sum(s.precision for s in scores) / n, sum(s.recall for s in scores) / n, sum(s.f1 for s in scores) / n)


def pooled_score(pairs: Iterable[tuple[Sequence[int], Sequence[int]]], margin: int) -> Score:
    """Micro-averaged score over ``(true change points, predicted change points)`` pairs."""
    hits = predicted_total = truth_total = 0
    for truth, predicted in pairs:
        hits += count_true_positives(truth, predicted, margin)
        predicted_total += len(set(predicted))
        truth_total += len(set(truth))
    precision = hits / predicted_total if predicted_total else (1.0 if truth_total == 0 else 0.0)
    recall = hits / truth_total if truth_total else 1.0
    return Score(precision, recall, f1(precision, recall))
