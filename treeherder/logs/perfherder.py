"""Extraction of ``PERFHERDER_DATA:`` objects from log lines (reference PERF.md §2.1, §3).

Only extraction lives here; validation and storage are the perf layer's (treeherder.perf).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from treeherder.perf.artifact import InvalidPerformanceData, validate_performance_object

logger = logging.getLogger(__name__)

PERFHERDER_MARKER = "PERFHERDER_DATA"
# No `$` anchor: a trailing `\r` or text after the object is ignored, as upstream.
_PERFHERDER_LINE = re.compile(r".*?PERFHERDER_DATA:\s+({.*})")


def performance_object_problem(obj: Any) -> str | None:
    """Why *obj* is not a usable performance object (schema and extra rules), or ``None``.

    The rules are the perf layer's, so log-derived and artifact data are judged alike.
    """
    try:
        validate_performance_object(obj)
    except InvalidPerformanceData as exc:
        return str(exc)
    return None


def extract_performance_object(line: str, linenumber: int | None = None) -> dict[str, Any] | None:
    """The validated PERFHERDER_DATA object on *line*, or ``None`` (a warning says why).

    The line must not have been cut to 500 characters: these lines are exempt.
    """
    match = _PERFHERDER_LINE.match(line)
    if match is None:
        return None
    try:
        obj = json.loads(match.group(1))
    except ValueError as exc:
        logger.warning("invalid PERFHERDER_DATA JSON at line %s: %s", linenumber, exc)
        return None
    problem = performance_object_problem(obj)
    if problem is not None:
        logger.warning("skipping PERFHERDER_DATA at line %s: %s", linenumber, problem)
        return None
    return obj
