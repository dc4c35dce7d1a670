"""Storing performance objects in bulk, inside the job batch's transaction.

Registered as a job-extras handler of the one ingestion path (``treeherder.ingest.store``): after a
batch of jobs is written, the performance objects they carry become signature upserts, datum
inserts (first value wins) and replicate inserts, a few statements per batch whatever its size.
Signatures whose new data calls for alert generation (PERF.md §4) are marked in
``performance_alert_pending`` in the same transaction, so the work survives a lost queue message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, case, select

from treeherder.db import tables as t
from treeherder.db.upsert import dialect_insert_for, insert_ignore
from treeherder.perf.artifact import (
    InvalidPerformanceData,
    JobContext,
    PerformanceRows,
    SignatureRow,
    build_performance_rows,
    validate_performance_object,
    wants_alert_generation,
)

log = logging.getLogger(__name__)

_CHUNK = 500
# Data from this framework is dropped silently when unknown or disabled (upstream does not warn).
_QUIET_FRAMEWORKS = frozenset({"job_resource_usage"})


@dataclass(frozen=True, slots=True)
class JobRef:
    """The stored job a performance object belongs to."""

    job_id: int
    push_id: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _to_datetime(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class _StoredJob:
    context: JobContext
    platform_id: int
    option_collection_id: int


def _stored_jobs_statement() -> Select:
    j, oc, mp, p = t.job, t.option_collection, t.machine_platform, t.push
    return (
        select(
            j.c.id,
            j.c.tier,
            j.c.push_id,
            p.c.push_timestamp,
            oc.c.option_collection_hash,
            mp.c.platform,
            j.c.machine_platform_id,
            j.c.option_collection_id,
        )
        .join(p, p.c.id == j.c.push_id)
        .join(oc, oc.c.id == j.c.option_collection_id)
        .join(mp, mp.c.id == j.c.machine_platform_id)
        .where(j.c.id.in_(bindparam("job_ids", expanding=True)))
    )


# Statements built once (per dialect where it matters): building one costs more than running it on a small batch,
# and this runs for every batch of jobs that carries performance data.
_STORED_JOBS = _stored_jobs_statement()
_FRAMEWORKS = select(t.performance_framework.c.id, t.performance_framework.c.name, t.performance_framework.c.enabled)


def _stored_jobs(conn: Connection, repository: str, job_ids: Sequence[int]) -> dict[int, _StoredJob]:
    """What the signature hash and rows need from each job, in one query per chunk of jobs."""
    found: dict[int, _StoredJob] = {}
    for start in range(0, len(job_ids), _CHUNK):
        rows = conn.execute(_STORED_JOBS, {"job_ids": list(job_ids[start : start + _CHUNK])})
        for job_id, tier, push_id, push_timestamp, option_hash, platform, platform_id, option_id in rows:
            context = JobContext(
                repository=repository,
                machine_platform=platform,
                option_collection_hash=option_hash,
                push_timestamp=push_timestamp,
                push_id=push_id,
                job_id=job_id,
                tier=tier,
            )
            found[job_id] = _StoredJob(context, platform_id, option_id)
    return found


_DESCRIPTIVE = (
    "last_modified",
    "platform_id",
    "option_collection_id",
    "suite",
    "test",
    "lower_is_better",
    "has_subtests",
    "extra_options",
    "tags",
    "measurement_unit",
    "suite_public_name",
    "test_public_name",
    "should_alert",
    "monitor",
    "alert_notify_emails",
    "alert_change_type",
    "alert_threshold",
    "alert_severity",
    "min_back_window",
    "max_back_window",
    "fore_window",
    "parent_signature_id",
)


def _signature_values(
    row: SignatureRow,
    repository_id: int,
    framework_id: int,
    platform_id: int,
    option_id: int,
    parent_id: int | None,
    written_at: datetime,
) -> dict[str, Any]:
    return {
        "signature_hash": row.signature_hash,
        "repository_id": repository_id,
        "framework_id": framework_id,
        "platform_id": platform_id,
        "option_collection_id": option_id,
        "suite": row.suite,
        "test": row.test,
        "application": row.application,
        "lower_is_better": row.lower_is_better,
        "last_updated": _to_datetime(row.last_updated),
        # Set on every write, so cached signature lists know when to be rebuilt (api/performance.py).
        "last_modified": written_at,
        "has_subtests": row.has_subtests,
        "extra_options": row.extra_options,
        "tags": row.tags,
        "measurement_unit": row.measurement_unit,
        "suite_public_name": row.suite_public_name,
        "test_public_name": row.test_public_name,
        "should_alert": row.should_alert,
        "monitor": row.monitor,
        "alert_notify_emails": row.alert_notify_emails,
        "alert_change_type": row.alert_change_type,
        "alert_threshold": row.alert_threshold,
        "alert_severity": row.alert_severity,
        "min_back_window": row.min_back_window,
        "max_back_window": row.max_back_window,
        "fore_window": row.fore_window,
        "parent_signature_id": parent_id,
    }


@lru_cache(maxsize=4)
def _signature_upsert(dialect: str):
    sig = t.performance_signature
    insert = dialect_insert_for(dialect, sig)
    set_ = {name: insert.excluded[name] for name in _DESCRIPTIVE}
    set_["last_updated"] = case(
        (insert.excluded.last_updated > sig.c.last_updated, insert.excluded.last_updated), else_=sig.c.last_updated
    )
    return insert.on_conflict_do_update(
        index_elements=["repository_id", "framework_id", "application", "signature_hash"], set_=set_
    ).returning(sig.c.id, sig.c.repository_id, sig.c.framework_id, sig.c.application, sig.c.signature_hash)


@lru_cache(maxsize=4)
def _datum_insert(dialect: str):
    pd = t.performance_datum
    return (
        dialect_insert_for(dialect, pd)
        .on_conflict_do_nothing(index_elements=["repository_id", "job_id", "push_id", "push_timestamp", "signature_id"])
        .returning(pd.c.id, pd.c.job_id, pd.c.push_id, pd.c.push_timestamp, pd.c.signature_id)
    )


def _upsert_signatures(conn: Connection, values: list[dict[str, Any]]) -> dict[tuple, int]:
    """Upsert signature rows; descriptive fields are overwritten, ``last_updated`` only moves forward."""
    # One statement cannot update a row twice: keep the newest version of each signature in the batch.
    newest: dict[tuple, dict[str, Any]] = {}
    for value in values:
        key = (value["repository_id"], value["framework_id"], value["application"], value["signature_hash"])
        held = newest.get(key)
        if held is None or value["last_updated"] >= held["last_updated"]:
            newest[key] = value
    statement = _signature_upsert(conn.dialect.name)
    ids: dict[tuple, int] = {}
    rows = list(newest.values())
    for start in range(0, len(rows), _CHUNK):
        for sig_id, *key in conn.execute(statement, rows[start : start + _CHUNK]):
            ids[tuple(key)] = sig_id
    return ids


def store_performance_objects(
    conn: Connection,
    repository_id: int,
    repository_name: str,
    alerts_enabled: bool,
    items: Sequence[tuple[dict[str, Any], JobRef]],
) -> set[int]:
    """Store performance objects of stored jobs; return the ids of signatures now pending alert generation.

    Invalid objects and objects of unknown or disabled frameworks are skipped with a warning.
    """
    if not items:
        return set()
    jobs = _stored_jobs(conn, repository_name, sorted({ref.job_id for _, ref in items}))
    frameworks = {
        name: (framework_id, enabled)
        for framework_id, name, enabled in conn.execute(_FRAMEWORKS)
    }

    built: list[tuple[PerformanceRows, int, _StoredJob]] = []
    for obj, ref in items:
        job = jobs.get(ref.job_id)
        if job is None:
            continue
        try:
            validate_performance_object(obj)
        except InvalidPerformanceData as error:
            log.warning("job %s: skipping invalid performance data: %s", ref.job_id, error)
            continue
        framework = frameworks.get(obj["framework"]["name"])
        if framework is None or not framework[1]:
            if obj["framework"]["name"] not in _QUIET_FRAMEWORKS:
                log.warning(
                    "job %s: skipping data of unknown or disabled framework %r", ref.job_id, obj["framework"]["name"]
                )
            continue
        built.append((build_performance_rows(obj, job.context), framework[0], job))
    if not built:
        return set()

    # Many jobs of a batch report the same series: describe each signature once, from its newest datum.
    newest: dict[tuple, tuple[SignatureRow, int, _StoredJob]] = {}
    for rows, framework_id, job in built:
        for row in rows.signatures:
            key = (framework_id, row.application, row.signature_hash)
            held = newest.get(key)
            if held is None or row.last_updated >= held[0].last_updated:
                newest[key] = (row, framework_id, job)

    written_at = datetime.now(UTC).replace(tzinfo=None)  # inside the write transaction, like every last_modified

    def values_for(parents: dict[tuple, int] | None) -> list[dict[str, Any]]:
        out = []
        for row, framework_id, job in newest.values():
            if (row.parent_signature_hash is None) != (parents is None):
                continue
            parent_id = None
            if parents is not None:
                parent_id = parents[(repository_id, framework_id, row.application, row.parent_signature_hash)]
            out.append(
                _signature_values(
                    row, repository_id, framework_id, job.platform_id, job.option_collection_id, parent_id, written_at
                )
            )
        return out

    # Parents (summaries and lone subtests) first, so subtests can point at their summary's id.
    signature_ids = _upsert_signatures(conn, values_for(None))
    signature_ids.update(_upsert_signatures(conn, values_for(signature_ids)))

    datum_rows = []
    replicates: dict[tuple, list[float]] = {}
    signature_of: dict[int, tuple[SignatureRow, int]] = {}
    for rows, framework_id, job in built:
        context = job.context
        by_hash = {s.signature_hash: s for s in rows.signatures}
        for datum in rows.data:
            signature = by_hash[datum.signature_hash]
            sig_id = signature_ids[(repository_id, framework_id, signature.application, datum.signature_hash)]
            signature_of[sig_id] = (signature, context.tier)
            key = (context.job_id, datum.push_id, datum.push_timestamp, sig_id)
            datum_rows.append(
                {
                    "repository_id": repository_id,
                    "signature_id": sig_id,
                    "job_id": context.job_id,
                    "push_id": datum.push_id,
                    "push_timestamp": datum.push_timestamp,
                    "value": datum.value,
                    "application_version": datum.application_version[:50],
                }
            )
            if datum.replicates:
                replicates.setdefault(key, datum.replicates)

    statement = _datum_insert(conn.dialect.name)
    new_data: list[tuple] = []
    for start in range(0, len(datum_rows), _CHUNK):
        new_data.extend(tuple(row) for row in conn.execute(statement, datum_rows[start : start + _CHUNK]))

    replicate_rows = [
        {"performance_datum_id": datum_id, "value": value}
        for datum_id, *key in new_data
        for value in replicates.get(tuple(key), ())
    ]
    if replicate_rows:
        conn.execute(t.performance_datum_replicate.insert(), replicate_rows)

    new_signatures = {row[4] for row in new_data}
    pending = {
        sig_id
        for sig_id, (signature, tier) in signature_of.items()
        if wants_alert_generation(
            signature,
            new_datum=sig_id in new_signatures,
            alerts_enabled=alerts_enabled,
            tier=tier,
            suite_has_summary=signature.parent_signature_hash is not None,
        )
    }
    if pending:
        now = _now()
        conn.execute(
            insert_ignore(conn, t.performance_alert_pending, ["signature_id"]),
            [{"signature_id": sig_id, "queued_at": now} for sig_id in sorted(pending)],
        )
    return pending


def store_job_performance_artifacts(conn: Connection, repo: Any, triples: Iterable[tuple[Any, int, int]]) -> set[int]:
    """Job-extras handler for ``treeherder.ingest.store``: the ``perf_artifacts`` of the jobs just written."""
    items = [(obj, JobRef(job_id, push_id)) for datum, job_id, push_id in triples for obj in datum.perf_artifacts]
    return store_performance_objects(conn, repo.id, repo.name, repo.performance_alerts_enabled, items)


def register() -> None:
    """Hook perf storage into the ingestion path (idempotent)."""
    from treeherder.ingest.store import JOB_EXTRAS_HANDLERS

    if store_job_performance_artifacts not in JOB_EXTRAS_HANDLERS:
        JOB_EXTRAS_HANDLERS.append(store_job_performance_artifacts)
