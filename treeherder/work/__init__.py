"""Background work: log parsing and performance alert generation, after ingestion commits.

Two engines run the same handlers (``treeherder.work.handlers``):

* Production, ``BROKER_URL`` set: Celery (``treeherder.tasks``) with upstream's queues; ``treeherder worker``
  processes consume them.
* Embedded default, no broker: threads inside ``treeherder serve`` (``treeherder.work.embedded``).

Either way the database records what is pending (``job_log.status``, ``performance_alert_pending``), so work whose
queue message or hand-over was lost is found again by a sweep.

Ingestion callers make one call after a batch commits: ``dispatch(settings, db, stored)``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from treeherder.config import Settings
from treeherder.db.engine import Database
from treeherder.work.embedded import EmbeddedWorker, running_worker
from treeherder.work.handlers import WorkContext

log = logging.getLogger(__name__)

__all__ = [
    "BackgroundWork",
    "EmbeddedWorker",
    "dispatch",
    "prepare_dispatch",
    "running_worker",
    "start_embedded_worker",
]


class BackgroundWork(Protocol):
    """What a committed batch reports: ``StoredJobs`` and ``LoadSummary`` both fit."""

    # (job_log id, job id, log name, job result) of logs waiting for the parser.
    pending_logs: list[tuple[int, int, str, str]]
    perf_signature_ids: set[int]


def dispatch(settings: Settings, db: Database, stored: BackgroundWork, *, repository: str | None = None) -> int:
    """Hand the background work of a committed batch to the engine; return how many items were handed over.

    *repository*: the repository of every job of the batch, when the caller knows it (it saves a query).

    Call it after the transaction commits, never inside it. It does not fail the caller: the work is recorded in the
    database, so if the broker is down, or no embedded worker runs in this process (``treeherder load``), the
    work waits for the next sweep and 0 is returned.
    """
    if not stored.pending_logs and not stored.perf_signature_ids:
        return 0
    if settings.broker_url:
        from treeherder import tasks

        try:
            return tasks.publish_stored(
                settings, db, stored.pending_logs, stored.perf_signature_ids, repository=repository
            )
        except Exception:  # noqa: BLE001 - the batch is stored; a sweep re-queues its work
            log.exception("could not queue background work on the broker; it stays pending in the database")
            return 0
    worker = running_worker(db)
    if worker is None:
        return 0
    logs = worker.submit_logs((log_id, name, result) for log_id, _job_id, name, result in stored.pending_logs)
    return logs + worker.submit_alerts(stored.perf_signature_ids)


def prepare_dispatch(settings: Settings) -> None:
    """Get ready to dispatch, so that the first batch's ``dispatch`` is as quick as the next ones.

    With a broker: connect and declare the work queues. It does not fail the caller: a broker that is down now is
    connected to by ``dispatch`` later.
    """
    if not settings.broker_url:
        return
    from treeherder import tasks

    try:
        tasks.prepare_publishing(settings)
    except Exception as exc:  # noqa: BLE001 - dispatch connects (or records the work for a sweep) later
        log.warning("could not connect to the broker for background work yet: %r", exc)


def start_embedded_worker(settings: Settings, db: Database, *, sweep: bool) -> EmbeddedWorker | None:
    """Start the in-process worker unless a broker is configured or ``EMBEDDED_WORKER`` is off.

    *sweep*: also queue the pending work recorded in the database, at start-up and every ``WORKER_SWEEP_INTERVAL``
    seconds (what ``treeherder serve`` does). Without it only work dispatched in this process is done.
    """
    if settings.broker_url or not settings.embedded_worker:
        return None
    worker = EmbeddedWorker(
        WorkContext(settings, db),
        concurrency=settings.worker_concurrency,
        sweep_interval=settings.worker_sweep_interval if sweep else None,
    )
    return worker.start()
