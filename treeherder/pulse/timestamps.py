"""ISO 8601 date-time strings to Unix timestamps, as upstream stores them."""

from __future__ import annotations

import calendar
from datetime import datetime


def to_timestamp(value: str) -> int:
    """Return whole Unix seconds for an ISO 8601 date-time string.

    A string without an offset is taken to be UTC, and fractions of a second are
    dropped (not rounded), which is what upstream's ``to_timestamp`` produces.
    Raises ``ValueError`` for text that is not an ISO 8601 date-time.
    """
    parsed = datetime.fromisoformat(value)
    # utctimetuple() converts aware values to UTC and leaves naive ones as they are.
    return calendar.timegm(parsed.utctimetuple())
