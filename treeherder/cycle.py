"""Data lifecycle: expiring old jobs and performance data in bounded chunks.

Defaults are upstream's: jobs (with their logs, details, errors, notes, bug links and Taskcluster metadata) after
120 days; performance data after 3 years, 2 years on try and on repositories that are not among the main trees.
Pushes are never expired. Each chunk is its own short transaction, so the database is never locked for long and an
interrupted run loses nothing: the next run carries on where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select, update

from treeherder.db import tables as t
from treeherder.db.engine import Database

JOB_DAYS = 120
PERF_DAYS = 3 * 365
PERF_DAYS_SHORT = 2 * 365
# Repositories whose performance data is kept the full three years (upstream's list).
PERF_LONG_LIVED = frozenset({"autoland", "mozilla-central", "mozilla-beta", "fenix", "reference-browser"})
EMPTY_ALERT_SUMMARY_DAYS = 180
# Upstream's `cycle_data --chunk-size` default: short transactions that never hold the writer for long.
DEFAULT_CHUNK = 100


@dataclass
class CycleReport:
    jobs: int = 0
    performance_data: int = 0
    alert_summaries: int = 0
    reference_rows: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str], None]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cycle_jobs(
    db: Database,
    *,
    days: int = JOB_DAYS,
    repository: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    sleep: float = 0.0,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Delete jobs submitted more than `days` ago, oldest first, `chunk_size` per transaction."""
    cutoff = int(((now or _now()) - timedelta(days=days)).replace(tzinfo=UTC).timestamp())
    where = [t.job.c.submit_timestamp < cutoff]
    if repository is not None:
        where.append(t.job.c.repository_id == _repository_id(db, repository))
    total = 0
    while True:
        with db.write() as conn:
            ids = conn.execute(select(t.job.c.id).where(*where).order_by(t.job.c.id).limit(chunk_size)).scalars().all()
            if not ids:
                break
            # Perf data keeps its point with the job link cleared; every other child row goes with the job
            # (deleted explicitly, so the result does not depend on the database's cascade settings).
            conn.execute(t.performance_datum.update().where(t.performance_datum.c.job_id.in_(ids)).values(job_id=None))
            logs = select(t.job_log.c.id).where(t.job_log.c.job_id.in_(ids))
            conn.execute(delete(t.group_status).where(t.group_status.c.job_log_id.in_(logs)))
            for child in (
                t.taskcluster_metadata, t.job_log, t.job_detail, t.text_log_error, t.failure_line,
                t.job_note, t.bug_job_map,
            ):  # fmt: skip
                conn.execute(delete(child).where(child.c.job_id.in_(ids)))
            conn.execute(delete(t.job).where(t.job.c.id.in_(ids)))
        total += len(ids)
        if progress:
            progress(f"expired {total} jobs")
        if len(ids) < chunk_size:
            break
        if sleep:
            time.sleep(sleep)
    return total


def _repository_id(db: Database, name: str) -> int:
    with db.read() as conn:
        found = conn.execute(select(t.repository.c.id).where(t.repository.c.name == name)).scalar()
    if found is None:
        raise LookupError(f"No repository with name: {name}")
    return found


def cycle_performance_data(
    db: Database,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Delete performance data points past their repository's retention, and their replicates."""
    now = now or _now()
    long_cut = int((now - timedelta(days=PERF_DAYS)).replace(tzinfo=UTC).timestamp())
    short_cut = int((now - timedelta(days=PERF_DAYS_SHORT)).replace(tzinfo=UTC).timestamp())
    with db.read() as conn:
        repos = conn.execute(select(t.repository.c.id, t.repository.c.name)).all()
    total = 0
    for repo_id, name in repos:
        cutoff = long_cut if name in PERF_LONG_LIVED else short_cut
        while True:
            with db.write() as conn:
                ids = (
                    conn.execute(
                        select(t.performance_datum.c.id)
                        .where(t.performance_datum.c.repository_id == repo_id, t.performance_datum.c.push_timestamp < cutoff)
                        .limit(chunk_size)
                    )
                    .scalars()
                    .all()
                )
                if not ids:
                    break
                conn.execute(
                    delete(t.performance_datum_replicate).where(t.performance_datum_replicate.c.performance_datum_id.in_(ids))
                )
                conn.execute(delete(t.performance_datum).where(t.performance_datum.c.id.in_(ids)))
            total += len(ids)
            if progress:
                progress(f"expired {total} performance data points")
            if len(ids) < chunk_size:
                break
    return total


def cycle_empty_alert_summaries(db: Database, *, now: datetime | None = None) -> int:
    """Delete alert summaries that have no alerts and were created more than 180 days ago."""
    cutoff = (now or _now()) - timedelta(days=EMPTY_ALERT_SUMMARY_DAYS)
    s, a = t.performance_alert_summary, t.performance_alert
    has_alerts = exists().where(or_(a.c.summary_id == s.c.id, a.c.related_summary_id == s.c.id))
    with db.write() as conn:
        return conn.execute(delete(s).where(s.c.created < cutoff, ~has_alerts)).rowcount


def cycle_reference_data(db: Database) -> dict[str, int]:
    """Delete job types, groups, machines and platforms no job uses any more (platforms a perf signature uses stay),
    and test groups no errorsummary result refers to any more (as upstream does after expiring jobs)."""
    removed = {}
    with db.write() as conn:
        # First, so that ingestion batches in flight (which hold the generation FOR SHARE) end before any row goes,
        # and the ones after forget the ids they cache.
        generation = t.reference_data_generation
        conn.execute(update(generation).where(generation.c.id == 1).values(value=generation.c.value + 1))
        for table, column, keep in (
            (t.job_type, t.job.c.job_type_id, None),
            (t.job_group, t.job.c.job_group_id, None),
            (t.machine, t.job.c.machine_id, None),
            (t.build_platform, t.job.c.build_platform_id, None),
            (t.machine_platform, t.job.c.machine_platform_id, t.performance_signature.c.platform_id),
        ):
            used = exists().where(column == table.c.id)
            # The newest row stays: SQLite would give its id to the next new row, and API processes keep reference
            # rows by id (api/jobquery.py ReferenceRows).
            newest = select(func.max(table.c.id)).scalar_subquery()
            condition = and_(~used, table.c.id < newest)
            if keep is not None:
                condition = and_(condition, ~exists().where(keep == table.c.id))
            removed[table.name] = conn.execute(delete(table).where(condition)).rowcount
        unused_groups = ~exists().where(t.group_status.c.group_id == t.test_group.c.id)
        removed[t.test_group.name] = conn.execute(delete(t.test_group).where(unused_groups)).rowcount
    return removed


def cycle_all(
    db: Database,
    *,
    days: int = JOB_DAYS,
    repository: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    sleep: float = 0.0,
    progress: Progress | None = None,
) -> CycleReport:
    report = CycleReport()
    report.jobs = cycle_jobs(db, days=days, repository=repository, chunk_size=chunk_size, sleep=sleep, progress=progress)
    report.performance_data = cycle_performance_data(db, chunk_size=chunk_size, progress=progress)
    report.alert_summaries = cycle_empty_alert_summaries(db)
    report.reference_rows = cycle_reference_data(db)
    return report


