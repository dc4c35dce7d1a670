"""Per-credential request throttling shared by every API process (the ``throttle_window`` table).

Upstream throttles Hawk-authenticated requests per client id and scope (``jobs`` 220/minute, ``push`` 400/minute).
We count in fixed windows: one upsert per request, which is atomic on both databases, so several API processes
share one budget without a read-modify-write race.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True, slots=True)
class Rate:
    requests: int
    period_seconds: int


# One statement, the same on SQLite and PostgreSQL, written out so that no SQL is built per request (this runs
# for every signed request). A new window restarts the count at 1.
_COUNT_REQUEST = text(
    'INSERT INTO throttle_window ("key", window_start, "count") VALUES (:key, :window_start, 1) '
    'ON CONFLICT ("key") DO UPDATE SET '
    '"count" = CASE WHEN throttle_window.window_start = excluded.window_start THEN throttle_window."count" + 1 ELSE 1 END, '
    "window_start = excluded.window_start "
    'RETURNING "count"'
)


def retry_after_seconds(conn: Connection, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request against ``key``; None if it is within ``rate``, else the seconds until the window resets."""
    now = time.time() if now is None else now
    window_start = int(now) // rate.period_seconds * rate.period_seconds
    count = conn.execute(_COUNT_REQUEST, {"key": key[:100], "window_start": window_start}).scalar_one()
    if count <= rate.requests:
        return None
    return max(1, math.ceil(window_start + rate.period_seconds - now))


def throttled_detail(seconds: int) -> str:
    """Upstream's (DRF's) text for a throttled request."""
    unit = "second" if seconds == 1 else "seconds"
    return f"Request was throttled. Expected available in {seconds} {unit}."
