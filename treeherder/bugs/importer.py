"""Load Bugzilla bugs into the local ``bugscache`` table (``treeherder bugs import FILE``).

Input: a Bugzilla REST ``bug`` search reply (``{"bugs": [...]}``), a JSON array of bugs, or JSON lines (one bug per
line); optionally gzip-compressed. Fields are stored as upstream stores them: ``keywords`` joined with ``,``,
``cf_crash_signature`` as ``crash_signature``, ``last_change_time`` as ``modified``; text cut to the column sizes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, select

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import dialect_insert

#: Rows per INSERT ... ON CONFLICT batch.
BATCH_SIZE = 2000
_UPDATED_COLUMNS = (
    "status", "resolution", "summary", "dupe_of", "crash_signature", "keywords", "whiteboard", "modified",
)  # fmt: skip
_LIMITS = {name: t.bugscache.c[name].type.length for name in ("status", "resolution", "summary", "whiteboard")}


class BugFileError(ValueError):
    """The bug file cannot be read or holds something that is not a bug (the message names where)."""


@dataclass
class ImportSummary:
    """What an import changed."""

    inserted: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated


def read_bug_file(path: Path) -> list[dict[str, Any]]:
    """The bug objects in the file (REST reply, JSON array or JSON lines; ``.gz`` is decompressed)."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise BugFileError(f"{path}: cannot read: {exc}") from exc
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _read_json_lines(path, data)
    if isinstance(document, dict) and "bugs" in document:
        bugs = document["bugs"]
    elif isinstance(document, dict) and "id" in document:  # JSON lines holding a single bug
        bugs = [document]
    else:
        bugs = document
    if not isinstance(bugs, list):
        raise BugFileError(f"{path}: expected a Bugzilla reply {{\"bugs\": [...]}}, a JSON array or JSON lines")
    return bugs


def _read_json_lines(path: Path, data: bytes) -> list[dict[str, Any]]:
    bugs = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            bugs.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise BugFileError(f"{path}: line {number}: not JSON ({exc})") from exc
    return bugs


def _text(bug: dict[str, Any], field: str, column: str | None = None) -> str:
    value = bug.get(field) or ""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string")
    limit = _LIMITS.get(column or field)
    return value[:limit] if limit else value


def _modified(value: Any) -> datetime:
    if not value:
        return datetime.now(UTC).replace(tzinfo=None)
    if not isinstance(value, str):
        raise ValueError("last_change_time must be a date string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"last_change_time {value!r} is not a date") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def bug_row(bug: Any) -> dict[str, Any]:
    """The ``bugscache`` row for one Bugzilla bug object; ValueError names the first bad field."""
    if not isinstance(bug, dict):
        raise ValueError("not a JSON object")
    bug_id = bug.get("id")
    if not isinstance(bug_id, int) or isinstance(bug_id, bool) or bug_id <= 0:
        raise ValueError("id must be a positive integer")
    if not isinstance(bug.get("summary"), str):
        raise ValueError("summary must be a string")
    keywords = bug.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords] if keywords else []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ValueError("keywords must be a list of strings")
    dupe_of = bug.get("dupe_of")
    if dupe_of is not None and (not isinstance(dupe_of, int) or isinstance(dupe_of, bool)):
        raise ValueError("dupe_of must be an integer or null")
    return {
        "bugzilla_id": bug_id,
        "status": _text(bug, "status"),
        "resolution": _text(bug, "resolution"),
        "summary": _text(bug, "summary"),
        "dupe_of": dupe_of,
        "crash_signature": _text(bug, "cf_crash_signature", "crash_signature"),
        "keywords": ",".join(keywords),
        "whiteboard": _text(bug, "whiteboard"),
        "modified": _modified(bug.get("last_change_time")),
    }


def bug_rows(bugs: Iterable[Any], source: str = "input") -> list[dict[str, Any]]:
    """Validated rows for all bugs, the last occurrence winning for a repeated id; BugFileError on the first bad one."""
    rows: dict[int, dict[str, Any]] = {}
    for index, bug in enumerate(bugs):
        try:
            row = bug_row(bug)
        except ValueError as exc:
            where = f"bug {bug['id']}" if isinstance(bug, dict) and "id" in bug else f"item {index}"
            raise BugFileError(f"{source}: {where}: {exc}") from exc
        rows[row["bugzilla_id"]] = row
    return list(rows.values())


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert = dialect_insert(conn, t.bugscache)
    statement = insert.on_conflict_do_update(
        index_elements=["bugzilla_id"], set_={name: insert.excluded[name] for name in _UPDATED_COLUMNS}
    )
    conn.execute(statement, rows)


def store_bugs(
    db: Database,
    rows: list[dict[str, Any]],
    *,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Insert or update the rows by Bugzilla id, in batches.

    With ``replace``, Bugzilla bugs that are not in ``rows`` are removed; bugs filed locally (no Bugzilla id) stay.
    """
    summary = ImportSummary()
    with db.read() as conn:
        existing = set(
            conn.execute(select(t.bugscache.c.bugzilla_id).where(t.bugscache.c.bugzilla_id.is_not(None))).scalars()
        )
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        with db.write() as conn:
            _upsert(conn, batch)
        known = sum(1 for row in batch if row["bugzilla_id"] in existing)
        summary.updated += known
        summary.inserted += len(batch) - known
        if progress:
            progress(start + len(batch), len(rows))
    if replace:
        stale = sorted(existing - {row["bugzilla_id"] for row in rows})
        for start in range(0, len(stale), BATCH_SIZE):
            batch = stale[start : start + BATCH_SIZE]
            with db.write() as conn:
                conn.execute(t.bugscache.delete().where(t.bugscache.c.bugzilla_id.in_(batch)))
        summary.removed = len(stale)
    return summary


def import_bug_file(
    db: Database, path: Path, *, replace: bool = False, progress: Callable[[int, int], None] | None = None
) -> ImportSummary:
    """Read, validate (all or nothing) and store the bugs of one file."""
    rows = bug_rows(read_bug_file(path), str(path))
    return store_bugs(db, rows, replace=replace, progress=progress)
