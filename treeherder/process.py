"""Tuning for the long-running processes (`treeherder serve`, `treeherder pulse-listen`)."""

from __future__ import annotations

import gc

# Collections of the youngest generation happen after this many container allocations (Python's default is 700).
YOUNG_GENERATION_THRESHOLD = 50_000


def settle_start_up_objects() -> None:
    """Exempt what exists after start-up from garbage collection, and collect the young generation less often.

    After start-up a process holds a few hundred thousand objects for its whole life (modules, settings, compiled
    queries and schemas); left to the collector, every full pass walks them all again. A submission of 100 jobs
    creates some 30,000 objects while its JSON is parsed, which triggered dozens of collections per request: with
    this, a REST submission's server CPU fell by a third (py-spy, same work). Request objects die by reference
    count (they form no cycles worth collecting promptly), so the youngest generation can wait for 50,000
    allocations.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 20, 20)
