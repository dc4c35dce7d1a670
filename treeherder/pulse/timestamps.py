"""ISO 8601 date-time strings to Unix timestamps, as upstream stores them."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def to_timestamp(value: str) -> int:
    """Return whole Unix seconds for an ISO 8601 date-time string.

    A string without an offset is taken to be UTC, and fractions of a second are
    dropped (not rounded), which is what upstream's ``to_timestamp`` produces.
    Raises ``ValueError`` for text that is not an ISO 8601 date-time.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # An aware value's timestamp() is computed in C (several times quicker than going through a UTC time tuple);
    # floor drops the fraction the way whole seconds of a time tuple do, also before 1970.
    return math.floor(parsed.timestamp())
