"""What each kind of background work does, and when it is tried again.

Both engines (Celery workers and the embedded worker threads) call these functions, so a log is parsed and an
alert generated the same way whichever runs them. The domain work lives elsewhere: log parsing in
``treeherder.logs.service``, alert generation in ``treeherder.perf``; this module adds the retry policy and the
bookkeeping of pending work in the database.
"""

from __future__ import annotations

import functools
import logging
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, ProgrammingError

from treeherder.config import ConfigError, Settings
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.logs.fetch import FetchOptions, fetch_options_from_settings
from treeherder.logs.remote import FAILED
from treeherder.logs.names import PARSEABLE_LOG_NAMES, needs_background_work
from treeherder.logs.service import LogParseReport, LogParsingService

log = logging.getLogger(__name__)

#: Upstream's retry limit for ingestion tasks.
MAX_RETRIES = 10

#: Errors that another try cannot fix (upstream's list): bad data or a bug, not a passing outage.
NO_RETRY_EXCEPTIONS: tuple[type[BaseException], ...] = (
    IndexError,
    IntegrityError,
    jsonschema.ValidationError,
    KeyError,
    ProgrammingError,
    TypeError,
    UnicodeDecodeError,
    ValueError,
    zlib.error,
)


class RetryableLogFailure(Exception):
    """Fetching a log failed in a way a later try may fix (server error, timeout, unreachable host)."""


def retry_delay(retries: int) -> int:
    """Seconds to wait before retry number *retries* (0-based), as upstream: ``10 * int(uniform(1.9, 2.1) ** n)``."""
    return 10 * int(random.uniform(1.9, 2.1) ** retries)


def should_retry(exc: BaseException) -> bool:
    """Whether work that raised *exc* is worth trying again."""
    return not isinstance(exc, NO_RETRY_EXCEPTIONS)


def log_fetch_options(settings: Settings) -> FetchOptions:
    """Fetch options for background log parsing.

    The server's own host is allowed although it may be private: the sample dataset's failed jobs point at logs
    this server serves itself (``SITE_URL/sample-logs/``). In production ``SITE_URL`` is a public name, so this
    opens nothing the address checks would otherwise refuse.
    """
    options = fetch_options_from_settings(settings)
    site_host = urlsplit(settings.site_url).hostname
    if site_host and site_host not in options.allowlist:
        options = replace(options, allowlist=(*options.allowlist, site_host))
    return options


AlertGenerator = Callable[[Database, int], Any]


@dataclass
class WorkContext:
    """What the handlers need in one process: settings, database and the domain services built on them."""

    settings: Settings
    db: Database
    logs: LogParsingService = field(init=False)
    alert_generator: AlertGenerator = field(init=False)

    def __post_init__(self) -> None:
        # Imported here: the perf layer pulls in numpy, which importing the API should not pay for.
        from treeherder.perf.detect import parse_detector_choices
        from treeherder.perf.generate import generate_alerts

        self.logs = LogParsingService(self.db, log_fetch_options(self.settings))
        try:
            choices = parse_detector_choices(self.settings.perf_detectors)
        except ValueError as exc:
            raise ConfigError(f"PERF_DETECTORS: {exc}") from None
        self.alert_generator = functools.partial(generate_alerts, detector_choices=choices)


def parse_log(ctx: WorkContext, job_log_id: int) -> LogParseReport:
    """Parse one job log and store its errors; raise RetryableLogFailure when a later try may succeed."""
    report = ctx.logs.parse(job_log_id)
    if report.status == FAILED and report.retryable:
        raise RetryableLogFailure(f"job log {job_log_id}: {report.error}")
    if report.performance_data and ctx.settings.perf_data_from_logs:
        store_log_performance(ctx.db, job_log_id, report.performance_data)
    return report


def store_log_performance(db: Database, job_log_id: int, objects: list[dict]) -> set[int]:
    """Store a text log's PERFHERDER_DATA objects as performance data of its job (marked for alert generation,
    which the next sweep or dispatch runs)."""
    from treeherder.perf.ingest import store_job_performance

    with db.write() as conn:
        job_id = conn.execute(select(t.job_log.c.job_id).where(t.job_log.c.id == job_log_id)).scalar()
        if job_id is None:
            return set()
        return store_job_performance(conn, job_id, objects)


def ingest_perf_data(ctx: WorkContext, job_log_id: int) -> frozenset[int]:
    """Download and store one Perfherder JSON artifact; return the signatures that now need alert generation.

    Upstream does not retry these: a download or validation failure marks the job log ``failed``.
    """
    from treeherder.perf.ingest import FETCH_TIMEOUT, MAX_ARTIFACT_BYTES, ingest_perfherder_data

    options = replace(
        ctx.logs.options,
        max_bytes=MAX_ARTIFACT_BYTES,
        max_decompressed_bytes=MAX_ARTIFACT_BYTES,
        timeout=FETCH_TIMEOUT,
        total_timeout=FETCH_TIMEOUT,
    )
    return ingest_perfherder_data(ctx.db, job_log_id, options).signature_ids


def generate_perf_alerts(ctx: WorkContext, signature_id: int) -> bool:
    """Generate alerts for one signature if it is still marked pending; return whether the generator ran.

    The generator clears the mark in the transaction that stores the alerts; a signature no longer marked was
    handled by another worker (after the data this task was queued for), so it is skipped.
    """
    with ctx.db.read() as conn:
        marked = conn.execute(
            select(t.performance_alert_pending.c.signature_id).where(
                t.performance_alert_pending.c.signature_id == signature_id
            )
        ).first()
    if marked is None:
        return False
    ctx.alert_generator(ctx.db, signature_id)
    return True


def mark_logs_pending(db: Database, job_log_ids: list[int]) -> int:
    """Put ``failed`` logs back to ``pending`` (their retry could not run here); return how many moved."""
    with db.write() as conn:
        moved = conn.execute(
            update(t.job_log)
            .where(t.job_log.c.id.in_(job_log_ids), t.job_log.c.status == t.LOG_STATUS_CODE["failed"])
            .values(status=t.LOG_STATUS_CODE["pending"])
        )
    return moved.rowcount


@dataclass(frozen=True)
class PendingLog:
    """A job log waiting for the parser, with what routing needs."""

    job_log_id: int
    log_name: str
    job_result: str
    repository: str | None = None


def pending_logs(db: Database, limit: int | None = None) -> list[PendingLog]:
    """Job logs still ``pending`` that background work handles (parseable logs, Perfherder artifacts), oldest first.

    This is the durable record of log work that a sweep reads back.
    """
    name = t.job_log.c.name
    query = (
        select(t.job_log.c.id, name, t.job.c.result, t.repository.c.name)
        .join(t.job, t.job.c.id == t.job_log.c.job_id)
        .join(t.repository, t.repository.c.id == t.job.c.repository_id)
        .where(t.job_log.c.status == t.LOG_STATUS_CODE["pending"], name.in_(PARSEABLE_LOG_NAMES) | name.like("perfherder%"))
        .order_by(t.job_log.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with db.read() as conn:
        rows = [PendingLog(*row) for row in conn.execute(query)]
    return [row for row in rows if needs_background_work(row.log_name)]


def pending_alert_signatures(db: Database, limit: int | None = None) -> list[int]:
    """Signatures marked for alert generation, oldest mark first."""
    query = select(t.performance_alert_pending.c.signature_id).order_by(t.performance_alert_pending.c.queued_at)
    if limit is not None:
        query = query.limit(limit)
    with db.read() as conn:
        return list(conn.execute(query).scalars())


def repositories_of_jobs(db: Database, job_ids: list[int]) -> dict[int, str]:
    """Repository name of each job (one query per few thousand jobs; only queue routing needs it)."""
    names: dict[int, str] = {}
    for start in range(0, len(job_ids), 5000):
        chunk = job_ids[start : start + 5000]
        with db.read() as conn:
            rows = conn.execute(
                select(t.job.c.id, t.repository.c.name)
                .join(t.repository, t.repository.c.id == t.job.c.repository_id)
                .where(t.job.c.id.in_(chunk))
            )
            names.update({job_id: name for job_id, name in rows})
    return names

