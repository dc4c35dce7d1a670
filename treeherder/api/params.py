"""Query-string parsing with upstream's error answers, and the OpenAPI description of query parameters.

Handlers read ``request.query_params`` themselves instead of declaring typed FastAPI parameters: upstream answers bad
input with view-specific bodies (``"Invalid value for offset or count"``, ``{"detail": "Valid count value required"}``,
per-field lists...), which FastAPI's own validation cannot produce. The parameters are still documented in the schema
through ``openapi_extra`` built by :func:`documented`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Path

from treeherder.api.errors import APIError

_OPENAPI_TYPES = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "bool": {"type": "string", "enum": ["true", "false"]},
    "float": {"type": "number"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "int_list": {"type": "string", "pattern": r"^\d+(,\d+)*$"},
    "str_list": {"type": "string"},
}


@dataclass(frozen=True, slots=True)
class QueryParam:
    """One documented query parameter."""

    name: str
    kind: str
    description: str
    required: bool = False
    repeatable: bool = False
    example: Any = None

    def openapi(self) -> dict[str, Any]:
        schema = dict(_OPENAPI_TYPES[self.kind])
        if self.repeatable:
            schema = {"type": "array", "items": schema}
        out: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": self.required,
            "description": self.description,
            "schema": schema,
        }
        if self.repeatable:
            out["style"] = "form"
            out["explode"] = True
        if self.example is not None:
            out["example"] = self.example
        return out


FORMAT_PARAM = QueryParam("format", "str", "Accepted for compatibility (mozci sends `format=json`); always JSON.")


def documented(*groups: Iterable[QueryParam], **extra: Any) -> dict[str, Any]:
    """``openapi_extra`` for a route: its query parameters (plus ``format``) and any other schema additions."""
    params = [p.openapi() for group in groups for p in group]
    params.append(FORMAT_PARAM.openapi())
    return {"parameters": params, **extra}


def example_response(example: Any, description: str = "Successful response") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


def error_responses(*cases: tuple[int, Any, str]) -> dict[int, dict[str, Any]]:
    """``responses=`` entries for documented error bodies: (status, example body, description)."""
    grouped: dict[int, dict[str, Any]] = {}
    for status, body, description in cases:
        entry = grouped.setdefault(
            status, {"description": description, "content": {"application/json": {"examples": {}}}}
        )
        examples = entry["content"]["application/json"]["examples"]
        examples[f"example{len(examples) + 1}"] = {"summary": description, "value": body}
    return grouped


# --- parsing helpers ----------------------------------------------------------------------------------------------


class FieldErrors(APIError):
    """400 with django-filter's per-field shape: ``{"id": ["Enter a number."]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(400, errors)


ENTER_A_NUMBER = "Enter a number."
ENTER_A_DATETIME = "Enter a valid date/time."


# No stored id or number lies outside 64 bits; larger values are refused as input errors before any SQL sees them.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_int(value: str) -> int | None:
    """A 64-bit integer as Python's int() reads it (surrounding spaces allowed), else None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if INT64_MIN <= number <= INT64_MAX else None


def parse_number(value: str) -> int | float | None:
    """A decimal number as django-filter's NumberFilter accepts it (``1``, ``1.0``), else None."""
    number = parse_int(value)
    if number is not None:
        return number
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(as_float) or not INT64_MIN <= as_float <= INT64_MAX:
        return None
    return int(as_float) if as_float.is_integer() else as_float


def parse_int_list(value: str) -> list[int] | None:
    """A comma-separated list of integers (empty items skipped), else None."""
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        number = parse_int(item)
        if number is None:
            return None
        out.append(number)
    return out


def parse_iso_datetime(value: str) -> datetime | None:
    """An ISO-8601 date or date-time as naive UTC (offsets are converted), else None."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text and len(text) > 10 else text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def parse_date(value: str) -> date | None:
    """``YYYY-MM-DD``, else None."""
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def parse_timestamp(value: str) -> float | None:
    """Unix seconds (integer or decimal), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and INT64_MIN <= number <= INT64_MAX else None


def to_unix(moment: datetime) -> int:
    """Naive UTC datetime -> Unix seconds (fractions dropped, as upstream's timestamps are whole seconds)."""
    return math.floor(moment.replace(tzinfo=UTC).timestamp())


# --- path parameters (typed as strings: upstream answers a non-numeric id with its own 404 body) ------------------

ProjectName = Annotated[str, Path(description="Repository name, e.g. `autoland` or `mozilla-central`.")]
JobIdPath = Annotated[str, Path(description="Job id.")]
PushIdPath = Annotated[str, Path(description="Push id.")]
LogIdPath = Annotated[str, Path(description="Job log id.")]
NoteIdPath = Annotated[str, Path(description="Classification note id.")]
ClassificationIdPath = Annotated[str, Path(description="Failure classification id.")]
BugJobMapPath = Annotated[str, Path(description="`{job_id}-{bug_id}`.")]
