"""Celery: the production engine for background work (``BROKER_URL`` set).

Tasks carry upstream's names and queues (INGESTION.md §C): ``log-parser`` on the ``log_parser_fail_*`` queues for
logs of jobs that did not succeed and on ``log_parser`` for the rest, ``ingest-perfherder-data`` on ``perf_ingest``,
``generate-alerts`` on ``generate_perf_alerts``. Acknowledgement is late (a worker that dies mid-task leaves the message to another), a
worker takes one message at a time, and failures are retried with upstream's backoff except for errors another try
cannot fix. ``treeherder worker`` runs a worker; ``celery -A treeherder.tasks worker`` works too.

``dispatch`` (from ``treeherder.work``) is re-exported here: it is the one call ingestion makes after a batch commits,
whichever engine then runs the work.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable

import kombu.pools
from celery import Celery, Task
from kombu import Queue

from treeherder.config import Settings, get_settings
from treeherder.db.engine import Database
from treeherder.work import dispatch, handlers
from treeherder.work.handlers import PendingLog
from treeherder.work.routing import (
    ALL_QUEUES,
    DEFAULT_QUEUE,
    PERF_ALERTS_QUEUE,
    is_failure,
    is_perf_artifact,
    log_priority,
    log_queue,
)

log = logging.getLogger(__name__)

__all__ = [
    "celery_app",
    "configure",
    "dispatch",
    "generate_perf_alerts",
    "ingest_perf_data",
    "parse_log",
    "prepare_publishing",
    "publish",
    "sweep_to_broker",
]

#: Upstream's soft time limit for ingestion tasks; the hard limit is 30 s later.
SOFT_TIME_LIMIT = 15 * 60

celery_app = Celery("treeherder", set_as_current=False)
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=SOFT_TIME_LIMIT,
    task_time_limit=SOFT_TIME_LIMIT + 30,
    task_default_queue=DEFAULT_QUEUE,
    task_queues=[Queue(name, routing_key=name) for name in ALL_QUEUES],
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
_configured_broker: str | None = None
_configure_lock = threading.Lock()


def configure(settings: Settings) -> Celery:
    """Point the Celery app at the settings' broker (the worker reads its settings from the environment)."""
    global _configured_broker
    with _configure_lock:
        if _configured_broker != settings.broker_url:
            if _configured_broker is not None:
                _drop_broker_connections()
            celery_app.conf.broker_url = settings.broker_url
            _configured_broker = settings.broker_url
    return celery_app


def _drop_broker_connections() -> None:
    """Close the connections to the previous broker; the next publish opens a pool for the new one."""
    # Closed pools stay registered in kombu and referenced by Celery, which would hand them out again ("Acquire on
    # closed pool") when a broker is used a second time: empty kombu's registry and drop Celery's references, as
    # Celery's own after-fork reset does.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@celery_app.on_configure.connect
def _configure_from_environment(sender: Celery, **_kwargs: object) -> None:
    # `celery -A treeherder.tasks worker` imports this module without calling configure().
    if _configured_broker is None and not sender.conf.broker_url:
        sender.conf.broker_url = get_settings().broker_url or None


# --- the worker process's context (built after the fork of a prefork pool, once per process) ----------------------

_context: handlers.WorkContext | None = None
_context_pid: int | None = None
_context_lock = threading.Lock()


def work_context() -> handlers.WorkContext:
    """This process's settings, database and services, built on first use."""
    global _context, _context_pid
    with _context_lock:
        if _context is None or _context_pid != os.getpid():
            settings = get_settings()
            _context = handlers.WorkContext(settings, Database(settings.database_url))
            _context_pid = os.getpid()
        return _context


def _retry_or_raise(task: Task, exc: Exception) -> None:
    if handlers.should_retry(exc):
        raise task.retry(exc=exc, countdown=handlers.retry_delay(task.request.retries))
    raise exc


@celery_app.task(name="log-parser", bind=True, max_retries=handlers.MAX_RETRIES)
def parse_log(self: Task, job_log_id: int) -> str:
    """Parse one job log and store its errors; returns the parse status."""
    try:
        return handlers.parse_log(work_context(), job_log_id).status
    except Exception as exc:  # noqa: BLE001 - sorted into retry / give up by upstream's list
        _retry_or_raise(self, exc)
        raise  # unreachable: _retry_or_raise always raises


@celery_app.task(name="ingest-perfherder-data", bind=True, max_retries=handlers.MAX_RETRIES)
def ingest_perf_data(self: Task, job_log_id: int) -> list[int]:
    """Download and store one Perfherder JSON artifact, then queue alert generation for its signatures."""
    try:
        signature_ids = sorted(handlers.ingest_perf_data(work_context(), job_log_id))
    except Exception as exc:  # noqa: BLE001 - sorted into retry / give up by upstream's list
        _retry_or_raise(self, exc)
        raise
    for signature_id in signature_ids:
        generate_perf_alerts.apply_async((signature_id,), queue=PERF_ALERTS_QUEUE, routing_key=PERF_ALERTS_QUEUE)
    return signature_ids


@celery_app.task(name="generate-alerts", bind=True, max_retries=handlers.MAX_RETRIES)
def generate_perf_alerts(self: Task, signature_id: int) -> bool:
    """Generate performance alerts for one signature that received data."""
    try:
        return handlers.generate_perf_alerts(work_context(), signature_id)
    except Exception as exc:  # noqa: BLE001 - sorted into retry / give up by upstream's list
        _retry_or_raise(self, exc)
        raise


# --- publishing ---------------------------------------------------------------------------------------------------


def publish(settings: Settings, logs: Iterable[PendingLog], signature_ids: Iterable[int]) -> int:
    """Send one task per log (failed jobs' logs first) and per signature; return how many were sent."""
    app = configure(settings)
    ordered = sorted(logs, key=lambda p: log_priority(p.log_name, p.job_result))
    sent = 0
    with app.producer_or_acquire() as producer:
        for pending in ordered:
            queue = log_queue(pending.log_name, pending.job_result, pending.repository)
            task = ingest_perf_data if is_perf_artifact(pending.log_name) else parse_log
            task.apply_async((pending.job_log_id,), queue=queue, routing_key=queue, producer=producer)
            sent += 1
        for signature_id in signature_ids:
            generate_perf_alerts.apply_async(
                (signature_id,), queue=PERF_ALERTS_QUEUE, routing_key=PERF_ALERTS_QUEUE, producer=producer
            )
            sent += 1
    return sent


def prepare_publishing(settings: Settings) -> None:
    """Connect to the broker and declare the work queues, which the first ``publish`` would otherwise do."""
    app = configure(settings)
    with app.producer_or_acquire() as producer:
        for queue in app.amqp.queues.values():
            producer.maybe_declare(queue)


def publish_stored(
    settings: Settings,
    db: Database,
    pending_logs: list[tuple[int, int, str, str]],
    signature_ids: Iterable[int],
    *,
    repository: str | None = None,
) -> int:
    """Publish the work of a stored batch ((job log id, job id, log name, job result) tuples and signatures).

    *repository*: the repository of all the batch's jobs if known; otherwise it is looked up per job.
    """
    if repository is not None:
        logs = [PendingLog(log_id, name, result, repository) for log_id, _job_id, name, result in pending_logs]
        return publish(settings, logs, signature_ids)
    # Only failure queues depend on the repository, so only failed jobs need the lookup.
    repositories = handlers.repositories_of_jobs(
        db, sorted({job_id for _log, job_id, _name, result in pending_logs if is_failure(result)})
    )
    logs = [
        PendingLog(log_id, name, result, repositories.get(job_id)) for log_id, job_id, name, result in pending_logs
    ]
    return publish(settings, logs, signature_ids)


def sweep_to_broker(settings: Settings, db: Database) -> int:
    """Publish all the pending work recorded in the database (a worker does this at start-up)."""
    return publish(settings, handlers.pending_logs(db), handlers.pending_alert_signatures(db))
