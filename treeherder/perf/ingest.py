"""Performance data that arrives outside a job submission: Perfherder JSON artifacts and log lines.

* Perfherder JSON artifacts (HEAD, task ``ingest-perfherder-data`` on queue ``perf_ingest``): a
  job-log row whose name, with ``-`` read as ``_``, starts with ``perfherder_data`` points at one
  performance object. It is downloaded (at most 5 MiB, 60 s), validated and stored; the row's
  status becomes ``parsed``, ``failed`` (no retry) or ``skipped-size``.
* ``PERFHERDER_DATA`` objects found in a text log: upstream HEAD drops them unless their
  framework and suite are allow-listed (the list is empty), so the default here is the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.perf.artifact import InvalidPerformanceData, validate_performance_object
from treeherder.perf.store import JobRef, store_performance_objects

log = logging.getLogger(__name__)

#: Upstream's limits for a Perfherder JSON artifact.
MAX_ARTIFACT_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 60.0

_RETRYABLE_STATUSES = (t.LOG_STATUS_CODE["pending"], t.LOG_STATUS_CODE["failed"])


def is_perfherder_data_log(name: str) -> bool:
    """Whether a job-log row named ``name`` is a Perfherder JSON artifact to ingest."""
    return name.replace("-", "_").startswith("perfherder_data")


def store_job_performance(conn: Connection, job_id: int, objects: Sequence[dict[str, Any]]) -> set[int]:
    """Store performance objects for an already stored job; returns signature ids pending alerts."""
    row = conn.execute(
        select(t.job.c.push_id, t.repository.c.id, t.repository.c.name, t.repository.c.performance_alerts_enabled)
        .join(t.repository, t.repository.c.id == t.job.c.repository_id)
        .where(t.job.c.id == job_id)
    ).first()
    if row is None:
        return set()
    push_id, repository_id, repository_name, alerts_enabled = row
    ref = JobRef(job_id, push_id)
    return store_performance_objects(conn, repository_id, repository_name, alerts_enabled, [(o, ref) for o in objects])


def store_log_performance_data(
    db: Database,
    job_id: int,
    objects: Sequence[dict[str, Any]],
    allowed: Collection[tuple[str, str]] = (),
) -> set[int]:
    """Store the ``PERFHERDER_DATA`` objects of a parsed text log, keeping only allow-listed suites.

    ``allowed`` holds (framework, suite) pairs; upstream HEAD's list is empty, so by default
    nothing from logs is stored. A deployment that wants OLD's behaviour lists its suites.
    """
    kept = []
    for obj in objects:
        framework = (obj.get("framework") or {}).get("name")
        suites = [s for s in obj.get("suites", ()) if (framework, s.get("name")) in allowed]
        if suites:
            kept.append({**obj, "suites": suites})
    if not kept:
        return set()
    with db.write() as conn:
        return store_job_performance(conn, job_id, kept)


@dataclass(frozen=True, slots=True)
class ArtifactReport:
    job_log_id: int
    status: str  # parsed, failed, skipped-size, or not-parsed (not ours, or already done)
    signature_ids: frozenset[int] = frozenset()
    error: str | None = None


def _read_all(blocks: Iterator[bytes]) -> bytes:
    return b"".join(blocks)


def ingest_perfherder_data(db: Database, job_log_id: int, fetch_options: Any = None) -> ArtifactReport:
    """Download, validate and store the Perfherder JSON artifact of one job-log row."""
    from treeherder.logs.decompress import LogTooLargeError
    from treeherder.logs.fetch import FetchOptions, LogFetchError, fetch_log

    jl = t.job_log
    with db.read() as conn:
        row = conn.execute(select(jl.c.job_id, jl.c.name, jl.c.url, jl.c.status).where(jl.c.id == job_log_id)).first()
    if row is None or not is_perfherder_data_log(row.name) or row.status not in _RETRYABLE_STATUSES:
        return ArtifactReport(job_log_id, "not-parsed")
    options = fetch_options or FetchOptions(
        max_bytes=MAX_ARTIFACT_BYTES, max_decompressed_bytes=MAX_ARTIFACT_BYTES, timeout=FETCH_TIMEOUT,
        total_timeout=FETCH_TIMEOUT,
    )  # fmt: skip
    signature_ids: set[int] = set()
    error = None
    obj: Any = None
    try:
        body = fetch_log(row.url, _read_all, options)
        obj = json.loads(body) if body.strip() else None
        if not obj:
            log.warning("job log %s: empty Perfherder data at %s", job_log_id, row.url)
            status = "parsed"
        else:
            validate_performance_object(obj)
            status = "parsed"
    except LogTooLargeError as exc:
        status, error = "skipped-size", str(exc)
    except (LogFetchError, ValueError, InvalidPerformanceData) as exc:
        # Upstream does not retry these: the artifact is marked failed.
        status, error = "failed", str(exc)
    with db.write() as conn:
        moved = conn.execute(
            update(jl)
            .where(jl.c.id == job_log_id, jl.c.status.in_(_RETRYABLE_STATUSES))
            .values(status=t.LOG_STATUS_CODE[status])
        ).rowcount
        if moved and status == "parsed" and obj:
            signature_ids = store_job_performance(conn, row.job_id, [obj])
    if error:
        log.warning("job log %s: %s: %s", job_log_id, status, error)
    return ArtifactReport(job_log_id, status, frozenset(signature_ids), error)


def pending_perfherder_data_logs(db: Database, limit: int = 1000) -> list[int]:
    """Job-log ids of Perfherder JSON artifacts still waiting (for a sweep after a lost queue message)."""
    jl = t.job_log
    with db.read() as conn:
        rows = conn.execute(
            select(jl.c.id, jl.c.name)
            .where(jl.c.status == t.LOG_STATUS_CODE["pending"], jl.c.name.like("perfherder%"))
            .order_by(jl.c.id)
        ).all()
    return [job_log_id for job_log_id, name in rows if is_perfherder_data_log(name)][:limit]
