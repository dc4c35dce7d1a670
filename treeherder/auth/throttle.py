"""Per-credential request throttling shared by every API process (the ``throttle_window`` table).

Upstream throttles Hawk-authenticated requests per client id and scope (``jobs`` 220/minute, ``push`` 400/minute).
We count in fixed windows: one upsert per request, which is atomic on both databases, so several API processes
share one budget without a read-modify-write race.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import Connection, case

from treeherder.db import tables as t
from treeherder.db.upsert import dialect_insert


@dataclass(frozen=True, slots=True)
class Rate:
    requests: int
    period_seconds: int


def retry_after_seconds(conn: Connection, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request against ``key``; None if it is within ``rate``, else the seconds until the window resets."""
    now = time.time() if now is None else now
    window_start = int(now) // rate.period_seconds * rate.period_seconds
    insert = dialect_insert(conn, t.throttle_window).values(key=key[:100], window_start=window_start, count=1)
    stored = t.throttle_window.c
    same_window = stored.window_start == insert.excluded.window_start
    statement = insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": case((same_window, stored.count + 1), else_=1),
            "window_start": insert.excluded.window_start,
        },
    ).returning(stored.count)
    count = conn.execute(statement).scalar_one()
    if count <= rate.requests:
        return None
    return max(1, math.ceil(window_start + rate.period_seconds - now))


def throttled_detail(seconds: int) -> str:
    """Upstream's (DRF's) text for a throttled request."""
    unit = "second" if seconds == 1 else "seconds"
    return f"Request was throttled. Expected available in {seconds} {unit}."
