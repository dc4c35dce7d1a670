"""Extraction of ``PERFHERDER_DATA:`` objects from log lines (reference PERF.md §2.1, §3).

Only extraction and schema validation live here; storing the data is the perf layer's job.
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

logger = logging.getLogger(__name__)

PERFHERDER_MARKER = "PERFHERDER_DATA"
# No `$` anchor: a trailing `\r` or text after the object is ignored, as upstream.
_PERFHERDER_LINE = re.compile(r".*?PERFHERDER_DATA:\s+({.*})")


@cache
def performance_artifact_validator() -> Draft202012Validator:
    """A validator for upstream's ``performance-artifact.json`` schema (compiled once)."""
    schema_text = resources.files("treeherder.logs").joinpath("schemas/performance-artifact.json").read_text("utf-8")
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_performance_object(obj: Any) -> str | None:
    """Return why *obj* is not a usable performance object, or ``None`` when it is."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not obj:
        return "empty"
    error = next(iter(performance_artifact_validator().iter_errors(obj)), None)
    if error is not None:
        return f"schema: {_describe(error)}"
    return None


def _describe(error: ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "<root>"
    return f"{where}: {error.message}"


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
    problem = validate_performance_object(obj)
    if problem is not None:
        logger.warning("skipping PERFHERDER_DATA at line %s: %s", linenumber, problem)
        return None
    return obj
