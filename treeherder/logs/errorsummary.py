"""Structured error summaries (``*_errorsummary.log``, log name ``errorsummary_json``).

Newline-delimited JSON written by the test harnesses (reference LOGS.md §5).  These pure
functions turn the body into failure lines and group results; storage is done elsewhere.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

#: At most this many failure lines are kept; one more line is read and marked ``truncated``.
FAILURE_LINES_CUTOFF = 150

#: Actions that become failure lines (``group_result`` becomes a group result instead).
FAILURE_LINE_ACTIONS = frozenset({"test_result", "log", "crash", "truncated", "test_status", "test_end"})
GROUP_RESULT_ACTION = "group_result"
TEST_GROUPS_ACTION = "test_groups"

#: Group result status codes as stored upstream.
GROUP_STATUS_CODES = {"OK": 1, "ERROR": 2, "SKIP": 3}
GROUP_STATUS_OTHER = 10
MAX_GROUP_NAME_LENGTH = 255
MAX_GROUP_DURATION_MS = 7_200_000

_TEXT_FIELDS = ("test", "subtest", "status", "expected", "message", "signature", "level", "stack",
                "stackwalk_stdout", "stackwalk_stderr")  # fmt: skip


class ErrorSummaryError(ValueError):
    """A line of the summary is not a JSON object with an integer ``line``."""


@dataclass(slots=True)
class FailureLineData:
    """One failure line, ready to store (``job_guid``/``repository``/``job_log`` are added by the caller)."""

    action: str
    line: int
    test: str | None = None
    subtest: str | None = None
    status: str | None = None
    expected: str | None = None
    message: str | None = None
    signature: str | None = None
    level: str | None = None
    stack: str | None = None
    stackwalk_stdout: str | None = None
    stackwalk_stderr: str | None = None
    known_intermittent: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupResultData:
    """The result of one test group (manifest): status code and whole seconds."""

    group: str
    status: int
    duration: int
    line: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the group passed (what ``push/group_results/`` reports as true)."""
        return self.status == GROUP_STATUS_CODES["OK"]


@dataclass(slots=True)
class ErrorSummary:
    """Everything one errorsummary body yields."""

    failure_lines: list[FailureLineData] = field(default_factory=list)
    group_results: list[GroupResultData] = field(default_factory=list)
    test_groups: list[str] = field(default_factory=list)
    truncated: bool = False


def read_summary_objects(lines: Iterable[bytes | str], cutoff: int = FAILURE_LINES_CUTOFF) -> list[dict[str, Any]]:
    """The first ``cutoff + 1`` JSON objects; the extra one, if present, gets action ``truncated``."""
    objects: list[dict[str, Any]] = []
    for number, raw in enumerate(lines):
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise ErrorSummaryError(f"line {number}: invalid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise ErrorSummaryError(f"line {number}: not a JSON object")
        objects.append(obj)
        if len(objects) > cutoff:
            # Keep its other keys (notably `line`) but say the list was cut here.
            obj["action"] = "truncated"
            break
    return objects


def group_status_code(status: Any) -> int:
    """OK → 1, ERROR → 2, SKIP → 3, anything else → 10."""
    return GROUP_STATUS_CODES.get(status, GROUP_STATUS_OTHER) if isinstance(status, str) else GROUP_STATUS_OTHER


def group_duration_seconds(duration: Any) -> int:
    """Milliseconds to whole seconds; non-numbers, negatives and > 2 h count as 0."""
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        return 0
    if not 0 <= duration <= MAX_GROUP_DURATION_MS:
        return 0
    return int(duration // 1000)


def is_storable_group_name(name: Any) -> bool:
    """Group names are stored only without backslashes and up to 255 characters."""
    return isinstance(name, str) and bool(name) and "\\" not in name and len(name) <= MAX_GROUP_NAME_LENGTH


def _line_number(obj: dict[str, Any]) -> int:
    line = obj.get("line")
    if isinstance(line, bool) or not isinstance(line, int):
        raise ErrorSummaryError(f"missing or non-integer 'line' in {obj.get('action')!r} entry")
    return line


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def failure_line_from_object(obj: dict[str, Any]) -> FailureLineData:
    """Build a failure line from one summary object (its action is a failure-line action)."""
    known = obj.get("known_intermittent") or []
    return FailureLineData(
        action=obj["action"],
        line=_line_number(obj),
        known_intermittent=[str(status) for status in known] if isinstance(known, list) else [],
        **{name: _text(obj.get(name)) for name in _TEXT_FIELDS},
    )


def parse_error_summary(lines: Iterable[bytes | str], cutoff: int = FAILURE_LINES_CUTOFF) -> ErrorSummary:
    """Parse an errorsummary body given as lines (bytes or str)."""
    summary = ErrorSummary()
    for obj in read_summary_objects(lines, cutoff):
        action = obj.get("action")
        if action == GROUP_RESULT_ACTION:
            name = obj.get("group")
            if not is_storable_group_name(name):
                logger.warning("skipping group result with unusable name %r", name)
                continue
            line = obj.get("line")
            summary.group_results.append(
                GroupResultData(
                    group=name,
                    status=group_status_code(obj.get("status")),
                    duration=group_duration_seconds(obj.get("duration")),
                    line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                )
            )
        elif action in FAILURE_LINE_ACTIONS:
            summary.failure_lines.append(failure_line_from_object(obj))
            if action == "truncated":
                summary.truncated = True
        elif action == TEST_GROUPS_ACTION:
            groups = obj.get("groups")
            if isinstance(groups, list):
                summary.test_groups.extend(g for g in groups if isinstance(g, str))
        else:
            logger.warning("skipping errorsummary entry with unknown action %r", action)
    return summary


def parse_error_summary_bytes(data: bytes, cutoff: int = FAILURE_LINES_CUTOFF) -> ErrorSummary:
    """Parse a whole (already decompressed) errorsummary body."""
    return parse_error_summary(data.splitlines(), cutoff)


_CHUNK_SUFFIX = re.compile(r"-\d+$")


def intermittent_job_type_key(job_type_name: str) -> str:
    """The job type name used to find comparable runs for the intermittent check.

    ``-``, ``c`` and ``f`` are stripped from both ends (dropping a ``-cf`` confirm-failure
    suffix), then a trailing ``-<chunk number>`` is removed.
    """
    return _CHUNK_SUFFIX.sub("", job_type_name.strip("-cf"))
