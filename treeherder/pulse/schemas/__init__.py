"""JSON schemas for Pulse messages, loaded and compiled once per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

SCHEMA_DIR = Path(__file__).resolve().parent


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema file ``name`` (for example ``pulse-job.yml``)."""
    with (SCHEMA_DIR / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def schema_validator(name: str) -> Validator:
    """Return a reusable validator for schema ``name``, using the draft its ``$schema`` names.

    Building a validator is much slower than running one, so it is built only once.
    Formats (``date-time``, ``uri``) are not asserted, as upstream does not assert them.
    """
    schema = load_schema(name)
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


# Formats upstream does not assert; the compiled validator must not assert them either.
_UNASSERTED_FORMATS: dict[str, Callable[[Any], bool]] = {
    name: (lambda _value: True) for name in ("date-time", "uri", "email", "hostname", "ipv4", "ipv6", "regex")
}


@cache
def _compiled_validator(name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(load_schema(name), formats=_UNASSERTED_FORMATS)


def prepare_validator(name: str) -> None:
    """Load and compile schema ``name`` now, so that the first message validated does not wait for it."""
    _compiled_validator(name)


def schema_errors(name: str, instance: Any) -> tuple[str, str] | None:
    """Return ``(json_path, message)`` of the most relevant error, or None when valid.

    Valid instances (the common case) are accepted by a validator compiled to Python
    code, about twenty times faster than the interpreting one. Only when that one
    rejects does the ``jsonschema`` validator run, to confirm and to explain; it is
    the reference, so its verdict wins.
    """
    try:
        _compiled_validator(name)(instance)
        return None
    except fastjsonschema.JsonSchemaException:
        pass
    error = best_match(schema_validator(name).iter_errors(instance))
    if error is None:
        return None
    return error.json_path, error.message
