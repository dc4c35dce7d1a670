"""Signature hashing for performance series, bit-compatible with upstream Perfherder.

A series is identified by a SHA-1 over its identifying properties (suite, test, platform, options,
parent). Reproducing the hash exactly lets a series here carry the same ``signature_hash`` as in
upstream Treeherder, so links and client scripts keep working.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any


def _property_text(value: Any) -> str:
    # Strings hash as-is; everything else (lists of extra options) as JSON with sorted keys and
    # Python's default separators, which is what upstream's json.dumps produced.
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def signature_hash(properties: Mapping[str, Any]) -> str:
    """Return the 40-hex SHA-1 of a signature's identifying ``properties``.

    The names and the values are put into one list, sorted as strings and concatenated.
    """
    parts = list(properties.keys())
    parts.extend(_property_text(value) for value in properties.values())
    parts.sort()
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


def option_collection_hash(option_names: Iterable[str]) -> str:
    """SHA-1 of the sorted option names concatenated (``{"debug"}`` → ``32faaeca...``)."""
    return hashlib.sha1("".join(sorted(option_names)).encode("utf-8")).hexdigest()


def summary_properties(
    suite: str, option_hash: str, machine_platform: str, extra_options: Iterable[str] | None
) -> dict[str, Any]:
    """Identifying properties of a suite summary series (a suite that reports a ``value``)."""
    properties: dict[str, Any] = {
        "suite": suite,
        "option_collection_hash": option_hash,
        "machine_platform": machine_platform,
    }
    options = sorted(extra_options or ())
    if options:
        properties["test_options"] = options
    return properties


def subtest_properties(
    suite: str,
    test: str,
    option_hash: str,
    machine_platform: str,
    extra_options: Iterable[str] | None,
    parent_hash: str | None,
) -> dict[str, Any]:
    """Identifying properties of a subtest series; ``parent_hash`` only when the suite has a summary."""
    properties: dict[str, Any] = {
        "suite": suite,
        "test": test,
        "option_collection_hash": option_hash,
        "machine_platform": machine_platform,
    }
    options = sorted(extra_options or ())
    if options:
        properties["test_options"] = options
    if parent_hash is not None:
        properties["parent_signature"] = parent_hash
    return properties
