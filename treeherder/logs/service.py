"""Parsing a stored job log: fetch, parse, store the results and the parse status.

The network work happens outside any database transaction; storing the results and
moving the status on is one short write transaction, guarded so that a log another
worker already parsed is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, case, func, select, update

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import insert_ignore
from treeherder.logs.errorsummary import ErrorSummary, FailureLineData
from treeherder.logs.fetch import FetchOptions
from treeherder.logs.intermittents import mark_intermittents
from treeherder.logs.names import ERROR_SUMMARY_LOG_NAMES, PARSEABLE_LOG_NAMES
from treeherder.logs.parser import LogParseResult
from treeherder.logs.remote import FAILED, ParseOutcome, parse_error_summary_log, parse_text_log
from treeherder.logs.text import replace_astral

logger = logging.getLogger(__name__)


#: Statuses a log may be (re)parsed from, as upstream re-checks before parsing.
_PARSEABLE_STATUS_CODES = (t.LOG_STATUS_CODE["pending"], t.LOG_STATUS_CODE["failed"])
NOT_PARSED = "not-parsed"
#: Job results whose error lines never make the job a new failure (upstream's rule).
RESULTS_NEVER_NEW_FAILURES = frozenset({"success", "unknown", "usercancel", "retry"})
#: Error lines seen in earlier pushes of the repository within this window are not new.
NEW_FAILURE_WINDOW_SECONDS = 21 * 24 * 3600
NOT_CLASSIFIED = 1
NEW_FAILURE_NOT_CLASSIFIED = 6
_FAILURE_LINE_TEXT_FIELDS = ("test", "subtest", "status", "expected", "message", "signature", "level", "stack",
                             "stackwalk_stdout", "stackwalk_stderr")  # fmt: skip


@dataclass
class LogParseReport:
    """What happened to one job log."""

    job_log_id: int
    status: str
    """``parsed``, ``failed``, ``skipped-size``, or ``not-parsed`` (not ours to parse, or already done)."""
    error: str | None = None
    retryable: bool = False
    """The fetch failed in a way a later retry may fix (the caller decides whether to retry)."""
    error_lines: int = 0
    failure_lines: int = 0
    group_results: int = 0
    performance_data: list[dict[str, Any]] = field(default_factory=list)
    """PERFHERDER_DATA objects from a text log; storing them is the perf layer's decision."""
    new_failure_lines: int = 0
    """Error lines not seen in earlier pushes (the job then becomes "new failure not classified")."""
    classification_changes: dict[int, int] = field(default_factory=dict)
    """Jobs re-classified by the intermittent check after an error summary: {job id: classification}."""


class _AlreadyHandled(Exception):
    """Another worker moved the log's status on while we were parsing."""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class LogParsingService:
    """Parses job logs of one database with one set of fetch options."""

    def __init__(self, db: Database, options: FetchOptions | None = None) -> None:
        self.db = db
        self.options = options or FetchOptions()

    def parse(self, job_log_id: int) -> LogParseReport:
        """Fetch, parse and store one job log, and record its parse status."""
        with self.db.read() as conn:
            row = conn.execute(
                select(
                    t.job_log.c.name,
                    t.job_log.c.url,
                    t.job_log.c.status,
                    t.job_log.c.job_id,
                    t.job.c.repository_id,
                    t.job.c.result,
                )
                .join(t.job, t.job.c.id == t.job_log.c.job_id)
                .where(t.job_log.c.id == job_log_id)
            ).first()
        if row is None:
            return LogParseReport(job_log_id, NOT_PARSED, error="no such job log")
        if row.name not in PARSEABLE_LOG_NAMES:
            return LogParseReport(job_log_id, NOT_PARSED, error=f"logs named {row.name!r} are not parsed")
        if row.status not in _PARSEABLE_STATUS_CODES:
            return LogParseReport(job_log_id, NOT_PARSED, error=f"already {t.LOG_STATUS[row.status]}")

        outcome: ParseOutcome[Any]
        if row.name in ERROR_SUMMARY_LOG_NAMES:
            outcome = parse_error_summary_log(row.url, self.options)
        else:
            outcome = parse_text_log(row.url, self.options)
        report = LogParseReport(job_log_id, outcome.status, error=outcome.error, retryable=outcome.retryable)
        try:
            with self.db.write() as conn:
                if not self._set_status(conn, job_log_id, report.status):
                    raise _AlreadyHandled
                if isinstance(outcome.result, ErrorSummary):
                    self._store_error_summary(conn, job_log_id, row.job_id, row.repository_id, outcome.result, report)
                    report.classification_changes = mark_intermittents(conn, row.job_id)
                elif isinstance(outcome.result, LogParseResult):
                    self._store_text_log(conn, row.job_id, outcome.result, report)
                    if row.result not in RESULTS_NEVER_NEW_FAILURES:
                        report.new_failure_lines = mark_new_failures(conn, row.job_id)
        except _AlreadyHandled:
            return LogParseReport(job_log_id, NOT_PARSED, error="parsed by another worker meanwhile")
        if report.status == FAILED:
            logger.warning("job log %s (%s) failed to parse: %s", job_log_id, row.url, report.error)
        return report

    def pending_log_ids(self, limit: int | None = None) -> list[int]:
        """Ids of parseable logs still ``pending``, logs of failed jobs first (as upstream's queues)."""
        failed_first = case((t.job.c.result.in_(("success", "unknown")), 1), else_=0)
        query = (
            select(t.job_log.c.id)
            .join(t.job, t.job.c.id == t.job_log.c.job_id)
            .where(t.job_log.c.status == t.LOG_STATUS_CODE["pending"], t.job_log.c.name.in_(PARSEABLE_LOG_NAMES))
            .order_by(failed_first, t.job_log.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return list(conn.execute(query).scalars())

    def parse_pending(self, limit: int | None = None) -> list[LogParseReport]:
        """Parse every pending log (a sweep, e.g. at start-up when queue messages were lost)."""
        return [self.parse(log_id) for log_id in self.pending_log_ids(limit)]

    @staticmethod
    def _set_status(conn: Connection, job_log_id: int, status: str) -> bool:
        moved = conn.execute(
            update(t.job_log)
            .where(t.job_log.c.id == job_log_id, t.job_log.c.status.in_(_PARSEABLE_STATUS_CODES))
            .values(status=t.LOG_STATUS_CODE[status])
        )
        return moved.rowcount == 1

    @staticmethod
    def _store_text_log(conn: Connection, job_id: int, result: LogParseResult, report: LogParseReport) -> None:
        rows = [
            {"job_id": job_id, "line_number": error.linenumber, "line": replace_astral(error.line)}
            for error in result.errors
        ]
        if rows:
            conn.execute(insert_ignore(conn, t.text_log_error, ["job_id", "line_number"]), rows)
        report.error_lines = len(rows)
        report.performance_data = result.performance_data

    @staticmethod
    def _store_error_summary(
        conn: Connection,
        job_log_id: int,
        job_id: int,
        repository_id: int,
        summary: ErrorSummary,
        report: LogParseReport,
    ) -> None:
        now = _utcnow()
        rows = [_failure_line_row(line, job_id, repository_id, now) for line in summary.failure_lines]
        if rows:
            conn.execute(insert_ignore(conn, t.failure_line, ["job_id", "line"]), rows)
        report.failure_lines = len(rows)
        groups = {result.group: result for result in summary.group_results}
        if groups:
            group_ids = _group_ids(conn, sorted(groups))
            conn.execute(
                insert_ignore(conn, t.group_status, ["job_log_id", "group_id"]),
                [
                    {
                        "job_log_id": job_log_id,
                        "group_id": group_ids[name],
                        "status": result.status,
                        "duration": result.duration,
                    }
                    for name, result in groups.items()
                ],
            )
        report.group_results = len(groups)


def earlier_line_counts(conn: Connection, job_id: int, lines: Sequence[str]) -> dict[str, int]:
    """How often each of *lines* was stored for jobs of earlier pushes of the job's repository (21 days)."""
    if not lines:
        return {}
    job, push, error = t.job, t.push, t.text_log_error
    this = conn.execute(
        select(job.c.repository_id, push.c.push_timestamp)
        .join(push, push.c.id == job.c.push_id)
        .where(job.c.id == job_id)
    ).one()
    rows = conn.execute(
        select(error.c.line, func.count())
        .select_from(push.join(job, job.c.push_id == push.c.id).join(error, error.c.job_id == job.c.id))
        .where(
            push.c.repository_id == this.repository_id,
            push.c.push_timestamp < this.push_timestamp,
            push.c.push_timestamp >= this.push_timestamp - NEW_FAILURE_WINDOW_SECONDS,
            error.c.line.in_(sorted(set(lines))),
        )
        .group_by(error.c.line)
    )
    return {line: count for line, count in rows}


def mark_new_failures(conn: Connection, job_id: int) -> int:
    """Flag the job's error lines never seen in earlier pushes; classify the job as a new failure.

    Upstream sets the classification to 6 ("new failure not classified") when any error line is
    new.  Only a job still "not classified" changes here, so a classification someone made
    before a re-parse is kept.  Returns the number of new lines.
    """
    lines = list(conn.execute(select(t.text_log_error.c.line).where(t.text_log_error.c.job_id == job_id)).scalars())
    earlier = earlier_line_counts(conn, job_id, lines)
    new_lines = {line for line in lines if not earlier.get(line)}
    if not new_lines:
        return 0
    conn.execute(
        update(t.text_log_error)
        .where(t.text_log_error.c.job_id == job_id, t.text_log_error.c.line.in_(sorted(new_lines)))
        .values(new_failure=True)
    )
    conn.execute(
        update(t.job)
        .where(t.job.c.id == job_id, t.job.c.failure_classification_id == NOT_CLASSIFIED)
        .values(failure_classification_id=NEW_FAILURE_NOT_CLASSIFIED, last_modified=_utcnow())
    )
    return sum(1 for line in lines if line in new_lines)


def _group_ids(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    conn.execute(insert_ignore(conn, t.test_group, ["name"]), [{"name": name} for name in names])
    rows = conn.execute(select(t.test_group.c.name, t.test_group.c.id).where(t.test_group.c.name.in_(names)))
    return {name: group_id for name, group_id in rows}


def _fit(column_name: str, value: str | None) -> str | None:
    """Cut a value to its column's length (the harness may send longer enum values than the schema allows)."""
    if value is None:
        return None
    column_type = t.failure_line.c[column_name].type
    length = column_type.length if isinstance(column_type, String) else None
    if length is not None and len(value) > length:
        logger.warning("failure_line.%s value %r cut to %d characters", column_name, value, length)
        return value[:length]
    return value


def _failure_line_row(line: FailureLineData, job_id: int, repository_id: int, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "job_id": job_id,
        "repository_id": repository_id,
        "action": _fit("action", line.action),
        "line": line.line,
        "created": now,
    }
    for name in _FAILURE_LINE_TEXT_FIELDS:
        row[name] = _fit(name, getattr(line, name))
    return row
