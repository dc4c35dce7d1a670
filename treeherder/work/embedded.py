"""The embedded worker: background work in threads of the server process, with no broker to install.

The database is the durable record of pending work (``job_log.status = pending``, ``performance_alert_pending``);
this worker keeps an in-memory queue in front of it. Ingestion in the same process hands over what a batch created
as soon as it commits (no polling delay), and a sweep reads the pending work back from the database at start-up and
then every ``WORKER_SWEEP_INTERVAL`` seconds, which recovers work whose hand-over was lost (a crash, a restart) and
picks up work stored by other processes (``treeherder load``, ``treeherder pulse-listen``).

The queue orders work as upstream's queues do: logs of failed jobs first, then alert generation, then the logs of
successful jobs (Perfherder artifacts go before alert generation). Failed attempts are retried with upstream's backoff from the same queue.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from treeherder.db.engine import Database
from treeherder.work import handlers
from treeherder.work.routing import Priority, is_perf_artifact, log_priority

log = logging.getLogger(__name__)

#: Most pending items one sweep reads; the rest come with the next sweep.
SWEEP_BATCH = 10_000
#: How long stopping waits for work in progress before leaving it (the database still records it as pending).
STOP_TIMEOUT = 5.0

#: Seconds alert generation for a signature waits after the first data that calls for it. Data comes in bursts (a
#: push's test jobs finish together, and a batch of jobs carries many series), and every batch for the signature
#: within the wait is covered by the one run, instead of the detector running once per batch.
ALERT_DEFER = 1.0

LOG = "log"
PERF_DATA = "perf-data"
ALERTS = "alerts"


@dataclass(frozen=True)
class WorkItem:
    """One unit of work: parse a job log, ingest a Perfherder artifact (both by job log id), or generate alerts."""

    kind: str
    target_id: int


class WorkQueue:
    """Ready items by priority, delayed (retried) items by due time; each item is held at most once.

    An item stays *known* from ``put`` until ``finish``, so handing over the same log twice (a resubmitted job, a
    sweep that meets work already queued) queues it once.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: list[tuple[int, int, WorkItem, int]] = []
        self._delayed: list[tuple[float, int, int, WorkItem, int]] = []
        self._known: set[WorkItem] = set()
        self._running = 0
        self._seq = itertools.count()
        self._closed = False

    def put(self, item: WorkItem, priority: int, *, defer: float = 0.0) -> bool:
        """Queue *item* unless it is already queued, waiting or running; return whether it was added.

        *defer*: seconds before the item is ready; puts of the same item meanwhile are absorbed by this one."""
        with self._cond:
            if self._closed or item in self._known:
                return False
            self._known.add(item)
            if defer > 0:
                # Attempt 0 in the delayed heap marks a deferral (retries are attempt 1 and up).
                heapq.heappush(self._delayed, (time.monotonic() + defer, next(self._seq), priority, item, 0))
            else:
                heapq.heappush(self._ready, (priority, next(self._seq), item, 0))
            self._cond.notify()
            return True

    def get(self) -> tuple[WorkItem, int, int] | None:
        """Block until an item is ready and return (item, priority, attempt); None once the queue is closed."""
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    _due, seq, priority, item, attempt = heapq.heappop(self._delayed)
                    heapq.heappush(self._ready, (priority, seq, item, attempt))
                if self._ready:
                    priority, _seq, item, attempt = heapq.heappop(self._ready)
                    self._running += 1
                    return item, priority, attempt
                self._cond.wait(self._delayed[0][0] - now if self._delayed else None)
            return None

    def finish(self, item: WorkItem) -> None:
        """Mark a running item done."""
        with self._cond:
            self._running -= 1
            self._known.discard(item)
            self._cond.notify_all()

    def retry(self, item: WorkItem, priority: int, attempt: int, delay: float) -> None:
        """Put a running item back, to run again after *delay* seconds as attempt number *attempt*."""
        with self._cond:
            self._running -= 1
            heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), priority, item, attempt))
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is ready, deferred or running (retries may still be waiting); return whether that
        happened."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._ready or self._running or any(entry[4] == 0 for entry in self._delayed):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Deferred items become ready in get(), which does not notify: wake up for them too.
                self._cond.wait(min(remaining, 0.05) if self._delayed else remaining)
            return True

    def close(self) -> None:
        """Stop handing out items and wake every waiting thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take_delayed(self) -> list[WorkItem]:
        """Remove and return the items waiting for a retry (when stopping: they are not going to run here)."""
        with self._cond:
            items = [entry[3] for entry in self._delayed]
            self._delayed.clear()
            self._known.difference_update(items)
            return items

    @property
    def waiting_retries(self) -> int:
        with self._cond:
            return len(self._delayed)


class EmbeddedWorker:
    """Worker threads that run background work for one database inside the current process."""

    def __init__(
        self,
        ctx: handlers.WorkContext,
        *,
        concurrency: int = 2,
        sweep_interval: float | None = None,
        retry_delay: Callable[[int], float] = handlers.retry_delay,
    ) -> None:
        """*sweep_interval*: None never sweeps the database; 0 sweeps once at start-up; more also sweeps periodically.

        *retry_delay*: seconds before retry number n (0-based); upstream's backoff unless a caller needs another.
        """
        self.ctx = ctx
        self.concurrency = max(1, concurrency)
        self.sweep_interval = sweep_interval
        self.retry_delay = retry_delay
        self.queue = WorkQueue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # Items that exhausted their retries with the database still saying pending: the sweep must not revive them.
        self._given_up: set[WorkItem] = set()
        # Items that failed in a retryable way while stopping: to be retried by the next run, not given up.
        self._interrupted: list[WorkItem] = []

    # --- life cycle -----------------------------------------------------------------------------------------------

    def start(self) -> EmbeddedWorker:
        """Start the threads and make this worker the one ``dispatch`` hands work to for its database."""
        for n in range(self.concurrency):
            thread = threading.Thread(target=self._work_loop, name=f"treeherder-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.sweep_interval is not None:
            sweeper = threading.Thread(target=self._sweep_loop, name="treeherder-worker-sweep", daemon=True)
            sweeper.start()
            self._threads.append(sweeper)
        _register(self)
        log.info("embedded worker started: %d threads", self.concurrency)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop taking work and wait (up to *timeout* seconds) for work in progress to end."""
        _unregister(self)
        self._stopping.set()
        self.queue.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        still_running = [thread.name for thread in self._threads if thread.is_alive()]
        if still_running:
            log.warning("embedded worker stopped with work in progress in %s; it stays pending", still_running)
        self._threads.clear()
        self._keep_pending(self.queue.take_delayed() + self._interrupted)

    def _keep_pending(self, items: list[WorkItem]) -> None:
        """Mark logs that were waiting for a retry as pending again, so that the next start's sweep retries them.

        A retryable fetch failure leaves the log ``failed`` while its retry waits in memory; without this, stopping
        the server would turn a passing outage into a permanent failure.
        """
        log_ids = [item.target_id for item in items if item.kind != ALERTS]
        if not log_ids:
            return
        try:
            handlers.mark_logs_pending(self.db, log_ids)
        except Exception:  # noqa: BLE001 - stopping must finish; these logs then stay failed
            log.exception("could not mark %d logs waiting for a retry as pending", len(log_ids))
        else:
            log.info("%d logs waiting for a retry are left pending for the next start", len(log_ids))

    @property
    def db(self) -> Database:
        return self.ctx.db

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no work is ready or running; return whether that happened in time."""
        return self.queue.wait_idle(timeout)

    # --- taking work ----------------------------------------------------------------------------------------------

    def submit_logs(self, logs: Iterable[tuple[int, str, str]]) -> int:
        """Queue (job log id, log name, job result) triples; return how many were new."""
        return sum(
            self.queue.put(WorkItem(PERF_DATA if is_perf_artifact(name) else LOG, log_id), log_priority(name, result))
            for log_id, name, result in logs
        )

    def submit_alerts(self, signature_ids: Iterable[int]) -> int:
        """Queue alert generation for signatures, ALERT_DEFER seconds on; return how many were new."""
        return sum(
            self.queue.put(WorkItem(ALERTS, sig), Priority.PERF_ALERTS, defer=ALERT_DEFER) for sig in signature_ids
        )

    def sweep(self) -> int:
        """Queue the pending work recorded in the database; return how many items were new."""
        given_up = set(self._given_up)  # a snapshot: worker threads add to it meanwhile
        given_up_logs = {item.target_id for item in given_up if item.kind != ALERTS}
        logs = handlers.pending_logs(self.db, SWEEP_BATCH)
        added = self.submit_logs(
            (p.job_log_id, p.log_name, p.job_result) for p in logs if p.job_log_id not in given_up_logs
        )
        signatures = handlers.pending_alert_signatures(self.db, SWEEP_BATCH)
        added += self.submit_alerts(s for s in signatures if WorkItem(ALERTS, s) not in given_up)
        if added:
            log.info("sweep found %d pending background work items", added)
        return added

    # --- threads --------------------------------------------------------------------------------------------------

    def _sweep_loop(self) -> None:
        interval = self.sweep_interval or 0
        while not self._stopping.is_set():
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the sweeps; the next one retries
                log.exception("sweeping pending background work failed")
            if interval <= 0 or self._stopping.wait(interval):
                return

    def _work_loop(self) -> None:
        while (taken := self.queue.get()) is not None:
            item, priority, attempt = taken
            try:
                self._run(item)
            except Exception as exc:  # noqa: BLE001 - every failure is either retried or logged, never fatal
                self._failed(item, priority, attempt, exc)
            else:
                self.queue.finish(item)

    def _run(self, item: WorkItem) -> None:
        if item.kind == LOG:
            handlers.parse_log(self.ctx, item.target_id)
        elif item.kind == PERF_DATA:
            self.submit_alerts(handlers.ingest_perf_data(self.ctx, item.target_id))
        else:
            handlers.generate_perf_alerts(self.ctx, item.target_id)

    def _failed(self, item: WorkItem, priority: int, attempt: int, exc: Exception) -> None:
        if handlers.should_retry(exc) and self._stopping.is_set():
            log.info("%s %d interrupted by the shutdown (%s); left for the next start", item.kind, item.target_id, exc)
            self._interrupted.append(item)
            self.queue.finish(item)
            return
        if handlers.should_retry(exc) and attempt < handlers.MAX_RETRIES:
            delay = self.retry_delay(attempt)
            log.warning("%s %d failed (%s); retry %d in %d s", item.kind, item.target_id, exc, attempt + 1, delay)
            self.queue.retry(item, priority, attempt + 1, delay)
            return
        log.error("%s %d failed for good: %s", item.kind, item.target_id, exc, exc_info=not handlers.should_retry(exc))
        self._given_up.add(item)
        self.queue.finish(item)


# --- the running worker of each database in this process ----------------------------------------------------------

_running: dict[str, EmbeddedWorker] = {}
_running_lock = threading.Lock()


def _register(worker: EmbeddedWorker) -> None:
    with _running_lock:
        _running[worker.db.url] = worker


def _unregister(worker: EmbeddedWorker) -> None:
    with _running_lock:
        if _running.get(worker.db.url) is worker:
            del _running[worker.db.url]


def running_worker(db: Database) -> EmbeddedWorker | None:
    """The embedded worker running in this process for *db*'s database, if any."""
    with _running_lock:
        return _running.get(db.url)
