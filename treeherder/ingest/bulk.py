"""Writing a batch of jobs and their children with SQL written out per database.

This is the hottest write of the project (every job of every submission comes through here), so it skips
SQLAlchemy's statement compilation and parameter processing: rows are tuples in a fixed column order, and the SQL
is built once per database (and per row count on SQLite) and handed to the driver as it is.

* PostgreSQL: the whole batch is ONE statement, so one round trip: the rows travel as one array per column
  (``unnest``), the job upsert's ``RETURNING`` gives the ids of the jobs it wrote, and the children (Taskcluster
  metadata, logs, details, error lines) are inserted by data-modifying CTEs joined to those ids, in the order they
  were given (ids follow submission order, as the API lists logs and details by id). The statement text never
  changes, so psycopg prepares it once per connection.
* SQLite (in-process, no round trips): one multi-row ``INSERT ... RETURNING`` for the jobs, then one
  ``executemany`` per child table.

Either way only jobs that move forward are written (the upsert's WHERE clause: a completed job is final, and a
state is never replaced by an earlier one), and only their children are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from treeherder.db import tables as t

# The columns of a job row, in the order of the tuples in JobRows.jobs. repository_id, failure_classification_id and
# last_modified are the same for the whole batch and are passed once.
JOB_COLUMNS = (
    "guid", "push_id", "signature_id", "build_platform_id", "machine_platform_id", "machine_id",
    "option_collection_id", "job_type_id", "job_group_id", "product_id", "who", "reason", "result", "state",
    "state_rank", "tier", "submit_timestamp", "start_timestamp", "end_timestamp",
)  # fmt: skip
_BATCH_COLUMNS = ("repository_id", "failure_classification_id", "last_modified")
# Columns a later message may change. who, reason and the classification keep their first values (as upstream HEAD).
UPDATABLE = (
    "signature_id", "build_platform_id", "machine_platform_id", "machine_id", "option_collection_id",
    "job_type_id", "job_group_id", "product_id", "result", "state", "state_rank", "tier",
    "submit_timestamp", "start_timestamp", "end_timestamp", "last_modified",
)  # fmt: skip
# PostgreSQL array types of JOB_COLUMNS (a bare list parameter would be typed by psycopg from its values).
_PG_JOB_TYPES = ("text",) + ("bigint",) * 9 + ("text",) * 4 + ("smallint",) * 2 + ("bigint",) * 3
_MOVES_FORWARD = "job.state_rank < 3 AND excluded.state_rank >= job.state_rank"
_UPDATE_SET = ", ".join(f"{name} = excluded.{name}" for name in UPDATABLE)
_JOB_INSERT_COLUMNS = ", ".join(JOB_COLUMNS + _BATCH_COLUMNS)
# Rows per SQLite statement: 22 parameters each, well under SQLite's 32,766 bound parameters.
_SQLITE_ROWS_PER_STATEMENT = 500


@dataclass
class JobRows:
    """One batch, as rows ready for the database. Children name their job by guid (a guid occurs once in jobs)."""

    repository_id: int
    last_modified: datetime
    jobs: list[tuple] = field(default_factory=list)
    # (guid, task_id, retry_id)
    metadata: list[tuple[str, str, int]] = field(default_factory=list)
    # (guid, name, url, status code)
    logs: list[tuple[str, str, str, int]] = field(default_factory=list)
    # (guid, title, value, url)
    details: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    # (guid, line number, line)
    errors: list[tuple[str, int, str]] = field(default_factory=list)


def write_jobs(conn: Connection, rows: JobRows) -> dict[str, int]:
    """Upsert the jobs (moving forward only) and insert the children of the ones written; guid -> id of those."""
    if not rows.jobs:
        return {}
    if conn.dialect.name == "postgresql":
        return _write_postgresql(conn, rows)
    return _write_sqlite(conn, rows)


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def _pg_child(name: str, table: str, columns: Sequence[tuple[str, str]], conflict: str) -> str:
    """A CTE inserting one child table's rows (given per column as arrays, with the job's guid) for written jobs."""
    arrays = ", ".join(f"%({name}_{column})s::{kind}[]" for column, kind in columns)
    names = ", ".join(column for column, _ in columns)
    return (
        f"{name} AS (INSERT INTO {table} (job_id, {names}) "
        f"SELECT written.id, {', '.join(f'c.{column}' for column, _ in columns)} "
        f"FROM unnest(%({name}_guid)s::text[], {arrays}) WITH ORDINALITY AS c(guid, {names}, position) "
        f"JOIN written ON written.guid = c.guid ORDER BY c.position "
        f"ON CONFLICT ({conflict}) DO NOTHING)"
    )


_PG_CHILDREN = (
    ("metadata", "taskcluster_metadata", (("task_id", "text"), ("retry_id", "integer")), "job_id"),
    ("logs", "job_log", (("name", "text"), ("url", "text"), ("status", "smallint")), "job_id, name, url"),
    ("details", "job_detail", (("title", "text"), ("value", "text"), ("url", "text")), "job_id, title, value"),
    ("errors", "text_log_error", (("line_number", "integer"), ("line", "text")), "job_id, line_number"),
)

_PG_WRITE_JOBS = (
    "WITH incoming AS (SELECT * FROM unnest("
    + ", ".join(f"%({column})s::{kind}[]" for column, kind in zip(JOB_COLUMNS, _PG_JOB_TYPES, strict=True))
    + f") WITH ORDINALITY AS incoming({', '.join(JOB_COLUMNS)}, position)), "
    f"written AS (INSERT INTO job ({_JOB_INSERT_COLUMNS}) "
    f"SELECT {', '.join(JOB_COLUMNS)}, %(repository_id)s, 1, %(last_modified)s FROM incoming ORDER BY position "
    f"ON CONFLICT (guid) DO UPDATE SET {_UPDATE_SET} WHERE {_MOVES_FORWARD} RETURNING guid, id), "
    + ", ".join(_pg_child(*child) for child in _PG_CHILDREN)
    + " SELECT guid, id FROM written"
)


def _pg_columns(prefix: str, names: Sequence[str], rows: Sequence[tuple]) -> dict[str, list]:
    columns = list(zip(*rows)) if rows else [() for _ in names]
    return {f"{prefix}{name}": list(values) for name, values in zip(names, columns, strict=True)}


def _write_postgresql(conn: Connection, rows: JobRows) -> dict[str, int]:
    params: dict[str, Any] = {"repository_id": rows.repository_id, "last_modified": rows.last_modified}
    params.update(_pg_columns("", JOB_COLUMNS, rows.jobs))
    for (name, _table, columns, _conflict), child_rows in zip(
        _PG_CHILDREN, (rows.metadata, rows.logs, rows.details, rows.errors), strict=True
    ):
        params.update(_pg_columns(f"{name}_", ["guid", *(column for column, _ in columns)], child_rows))
    return dict(conn.exec_driver_sql(_PG_WRITE_JOBS, params).all())


# --- SQLite -------------------------------------------------------------------------------------------------------

_SQLITE_ROW = "(" + ", ".join("?" * (len(JOB_COLUMNS) + len(_BATCH_COLUMNS))) + ")"


@lru_cache(maxsize=64)
def _sqlite_job_upsert(n_rows: int) -> str:
    """The upsert of n_rows jobs in one statement (cached: batches mostly have the same size)."""
    return (
        f"INSERT INTO job ({_JOB_INSERT_COLUMNS}) VALUES {', '.join([_SQLITE_ROW] * n_rows)} "
        f"ON CONFLICT (guid) DO UPDATE SET {_UPDATE_SET} WHERE {_MOVES_FORWARD} RETURNING guid, id"
    )


_SQLITE_CHILDREN = (
    "INSERT INTO taskcluster_metadata (job_id, task_id, retry_id) VALUES (?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
    "INSERT INTO job_log (job_id, name, url, status) VALUES (?, ?, ?, ?) ON CONFLICT (job_id, name, url) DO NOTHING",
    "INSERT INTO job_detail (job_id, title, value, url) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (job_id, title, value) DO NOTHING",
    "INSERT INTO text_log_error (job_id, line_number, line) VALUES (?, ?, ?) "
    "ON CONFLICT (job_id, line_number) DO NOTHING",
)


@lru_cache(maxsize=4)
def _sqlite_datetime(dialect: Any):
    """SQLAlchemy's own conversion of a DateTime for SQLite, so rows written here read back like any other."""
    return t.job.c.last_modified.type.dialect_impl(dialect).bind_processor(dialect)


def _write_sqlite(conn: Connection, rows: JobRows) -> dict[str, int]:
    batch = (rows.repository_id, 1, _sqlite_datetime(conn.dialect)(rows.last_modified))
    written: dict[str, int] = {}
    for start in range(0, len(rows.jobs), _SQLITE_ROWS_PER_STATEMENT):
        chunk = rows.jobs[start : start + _SQLITE_ROWS_PER_STATEMENT]
        params = tuple(value for row in chunk for value in (*row, *batch))
        written.update(conn.exec_driver_sql(_sqlite_job_upsert(len(chunk)), params).all())
    children = (rows.metadata, rows.logs, rows.details, rows.errors)
    for statement, child_rows in zip(_SQLITE_CHILDREN, children, strict=True):
        by_job = [(written[row[0]], *row[1:]) for row in child_rows if row[0] in written]
        if by_job:
            conn.exec_driver_sql(statement, by_job)
    return written
