"""Counts the reliability tests report at the end of the session (requests tried, jobs submitted, faults injected,
jobs lost); written to TEST_OUTPUT_DIR/reliability.json and shown in pytest's summary, for the README's figures."""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()
