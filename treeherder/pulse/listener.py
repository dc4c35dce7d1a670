"""The Pulse listener: consume messages, transform them, store them in batches.

One durable queue per source (``queue/<user>/<suffix>``) is bound to the source's
exchanges; exchanges that do not exist yet are declared as durable topic exchanges.
Messages are taken up to ``batch_size`` at a time, transformed (Taskcluster and push
messages need HTTP fetches, done on a thread pool), and the batch is stored with one
call per kind: pushes first, then jobs. A message is acknowledged only after what it
produced has been stored, so a crash loses nothing.

Consuming and storing overlap: one store thread transforms and stores batch N while
the consuming thread receives batch N+1 (the prefetch window holds two batches). Only
the consuming thread touches the AMQP connection, so batch N is acknowledged, retried
or dead-lettered there, after its store finished. A batch is started when the store
thread is free and the batch is full, or no message arrived for ``quiet_wait`` seconds,
or its first message has waited ``batch_wait`` seconds.

What happens to a message that is not stored:

* it can never be processed (:class:`~treeherder.pulse.errors.PulseMessageError`,
  undecodable body): it is copied to the dead-letter queue ``<queue>.dead-letter``
  with the reason in header ``x-pulse-error``, then acknowledged;
* it may work later (its push has not arrived yet, a fetch or the store failed): it
  is parked in a retry queue ``<queue>.retry.<delay>ms`` whose messages expire back
  into the main queue after the delay; the delay doubles on each attempt, and after
  ``max_retries`` attempts the message goes to the dead-letter queue instead.

Both kinds of queue hang off the listener's own direct exchange
``exchange/<user>/treeherder``, since Pulse lets a user publish nowhere else.
Broken connections are re-established with exponential backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

import amqp.exceptions
import kombu
import kombu.exceptions
import orjson
from kombu.message import Message

from .errors import PulseMessageError
from .jobs import JOB_SCHEMA, PulseJob, job_message_to_datum
from .pushes import FetchJson, PushRepository, RepositoryPush, push_message_to_pushes
from .schemas import prepare_validator
from .sources import PulseSource
from .taskcluster import TREEHERDER_CONFIG_SCHEMA, FetchArtifacts, FetchTask, task_message_to_jobs

logger = logging.getLogger(__name__)

# Headers that carry a message's origin through the retry queues, from which the broker
# re-delivers it through the listener's internal exchange.
EXCHANGE_HEADER = "x-pulse-exchange"
ROUTING_KEY_HEADER = "x-pulse-routing-key"
RETRIES_HEADER = "x-pulse-retries"
ERROR_HEADER = "x-pulse-error"
MAX_ERROR_HEADER_LENGTH = 1000
IDLE_WAIT = 0.5  # seconds between checks of the stop flag and heartbeats while idle
QUIET_WAIT = 0.02  # a partial batch is stored once no message has arrived for this long
STORE_POLL = 0.005  # seconds between checks for the end of the store of a batch
# Unacknowledged messages per consumer, in batches: one being stored, one being received.
PREFETCH_BATCHES = 2

# The schema each kind of message is validated against.
SCHEMA_OF_KIND = {"jobs": JOB_SCHEMA, "tasks": TREEHERDER_CONFIG_SCHEMA}

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    kombu.exceptions.KombuError,
    amqp.exceptions.AMQPError,
)


class PulseStore(Protocol):
    """Where the listener puts what it received (the ingestion layer)."""

    def store_pushes(self, pushes: Sequence[RepositoryPush]) -> None:
        """Store pushes and their commits in one transaction."""

    def store_jobs(self, jobs: Sequence[PulseJob]) -> Collection[int]:
        """Store jobs in one transaction; return the indexes of jobs whose push is not stored yet.

        Those jobs are not stored; the listener retries their messages later. Jobs of
        unknown or inactive repositories are dropped by the store, not returned.
        """

    def push_repositories(self) -> Iterable[PushRepository]:
        """The repositories push messages may belong to."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays between attempts: ``base_delay * 2**attempt``, capped at ``max_delay`` seconds."""

    max_retries: int = 10
    base_delay: float = 10.0
    max_delay: float = 600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        return min(self.base_delay * 2**attempt, self.max_delay)


@dataclass(frozen=True, slots=True)
class Fetchers:
    """The HTTP fetches transforms need (see :class:`~treeherder.pulse.fetch.HttpFetcher`)."""

    fetch_task: FetchTask
    fetch_json: FetchJson
    fetch_artifacts: FetchArtifacts | None = None


@dataclass(slots=True)
class _Delivery:
    """A received message, its source, and what became of it."""

    message: Message
    source: PulseSource
    queue_name: str
    jobs: list[PulseJob] = field(default_factory=list)
    pushes: list[RepositoryPush] = field(default_factory=list)
    dead_reason: str | None = None
    retry_reason: str | None = None

    @property
    def headers(self) -> dict[str, Any]:
        return self.message.headers or {}

    @property
    def exchange(self) -> str:
        return self.headers.get(EXCHANGE_HEADER) or self.message.delivery_info.get("exchange", "")

    @property
    def routing_key(self) -> str:
        return self.headers.get(ROUTING_KEY_HEADER) or self.message.delivery_info.get("routing_key", "")

    @property
    def retries(self) -> int:
        return int(self.headers.get(RETRIES_HEADER, 0))


@dataclass(slots=True)
class _StoringBatch:
    """A batch handed to the store thread; ``done`` resolves once its messages are stored or marked."""

    deliveries: list[_Delivery]
    done: Future[None]


@dataclass
class ListenerStats:
    """Counters since start, for logs and tests."""

    received: int = 0
    stored_jobs: int = 0
    stored_pushes: int = 0
    retried: int = 0
    dead_lettered: int = 0
    batches: int = 0


class PulseListener:
    """Consume the sources on one broker until ``stop`` is set (see the module docstring)."""

    def __init__(
        self,
        url: str,
        sources: Sequence[PulseSource],
        store: PulseStore,
        fetchers: Fetchers,
        *,
        batch_size: int = 500,
        batch_wait: float = 1.0,
        quiet_wait: float = QUIET_WAIT,
        retry_policy: RetryPolicy | None = None,
        queue_prefix: str | None = None,
        fetch_concurrency: int = 8,
        projects: Collection[str] | None = None,
        reconnect_max_delay: float = 60.0,
    ) -> None:
        if not sources:
            raise ValueError("a listener needs at least one source")
        self.url = url
        self.sources = list(sources)
        self.store = store
        self.fetchers = fetchers
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.quiet_wait = quiet_wait
        self.retry_policy = retry_policy or RetryPolicy()
        self.queue_prefix = queue_prefix
        self.fetch_concurrency = fetch_concurrency
        self.projects = frozenset(projects) if projects is not None else None
        self.reconnect_max_delay = reconnect_max_delay
        self.stats = ListenerStats()
        self.ready = threading.Event()  # set once queues are bound and consuming
        self._pending: list[_Delivery] = []
        self._batch_deadline = 0.0
        self._last_arrival = 0.0
        self._producer: kombu.Producer | None = None
        self._declared_retry_queues: set[str] = set()
        self._internal_exchange = kombu.Exchange("")  # replaced by _declare on each connection

    # -- names -------------------------------------------------------------------------

    def queue_name(self, source: PulseSource, connection: kombu.Connection) -> str:
        """``queue/<user>/<suffix>``, or ``<queue_prefix>/<suffix>`` when a prefix is set."""
        prefix = self.queue_prefix or f"queue/{connection.userid or 'guest'}"
        return f"{prefix}/{source.suffix}"

    def internal_exchange_name(self, connection: kombu.Connection) -> str:
        """The listener's own direct exchange for retries and dead letters.

        Named like the queues (``exchange/<user>/treeherder``) because Pulse lets a user
        publish only to exchanges under ``exchange/<user>/``, not to the default exchange.
        """
        prefix = self.queue_prefix or f"queue/{connection.userid or 'guest'}"
        return f"exchange/{prefix.removeprefix('queue/')}/treeherder"

    @staticmethod
    def dead_letter_queue_name(queue_name: str) -> str:
        """The queue that keeps messages that can never be processed."""
        return f"{queue_name}.dead-letter"

    @staticmethod
    def retry_queue_name(queue_name: str, delay: float) -> str:
        """The queue where messages wait ``delay`` seconds before returning to ``queue_name``."""
        return f"{queue_name}.retry.{round(delay * 1000)}ms"

    # -- running -------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Compile the validators of the sources' messages, so that the first batch is not held up by it."""
        for kind in sorted({source.kind for source in self.sources} & SCHEMA_OF_KIND.keys()):
            prepare_validator(SCHEMA_OF_KIND[kind])

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting with backoff when the broker goes away."""
        self.warm_up()
        failures = 0
        with (
            ThreadPoolExecutor(max_workers=self.fetch_concurrency, thread_name_prefix="pulse-fetch") as pool,
            # One store thread: batches are stored one at a time, in the order they arrived.
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-store") as storer,
        ):
            while not stop.is_set():
                try:
                    with kombu.Connection(
                        self.url, heartbeat=120, transport_options={"confirm_publish": True}
                    ) as connection:
                        connection.connect()
                        failures = 0
                        self._consume(connection, stop, pool, storer)
                except CONNECTION_ERRORS as exc:
                    self.ready.clear()
                    self._pending.clear()  # unacknowledged: the broker re-delivers them
                    self._producer = None
                    self._declared_retry_queues.clear()
                    delay = min(2**failures, self.reconnect_max_delay)
                    failures += 1
                    logger.warning(
                        "pulse connection to %s failed (%s); reconnecting in %.0fs", self._safe_url(), exc, delay
                    )
                    stop.wait(delay)

    def _consume(
        self, connection: kombu.Connection, stop: threading.Event, pool: ThreadPoolExecutor, storer: ThreadPoolExecutor
    ) -> None:
        queues = self._declare(connection)
        consume_channel = connection.channel()
        self._producer = kombu.Producer(connection.channel())
        consumers = []
        for source, queue in zip(self.sources, queues, strict=True):
            consumer = kombu.Consumer(
                consume_channel,
                queues=[queue],
                on_message=self._receiver(source, queue.name),
                prefetch_count=self.batch_size * PREFETCH_BATCHES,
            )
            consumer.consume()
            consumers.append(consumer)
        self.ready.set()
        logger.info("listening on %s", ", ".join(queue.name for queue in queues))
        storing: _StoringBatch | None = None
        try:
            while not stop.is_set():
                self._drain(connection, busy=storing is not None)
                if storing is not None and storing.done.done():
                    self._settle(storing)
                    storing = None
                if storing is None and self._batch_ready():
                    storing = self._start_batch(storer, pool)
            # Stopping: finish the batch being stored, then store what was received.
            if storing is not None:
                self._settle(storing)
                storing = None
            while self._pending:
                self._settle(self._start_batch(storer, pool))
        finally:
            if storing is not None:
                # The connection broke: the broker re-delivers the batch, whose acknowledgement is lost with the
                # channel. Its store must end before the next connection's batches are stored after it.
                wait([storing.done])
        for consumer in consumers:
            consumer.cancel()

    def _drain(self, connection: kombu.Connection, *, busy: bool) -> None:
        """Receive messages for a while: briefly when a batch is being stored or one is filling up."""
        if busy:
            timeout = STORE_POLL
        elif self._pending:
            now = time.monotonic()
            timeout = max(0.0, min(self._last_arrival + self.quiet_wait, self._batch_deadline) - now)
        else:
            timeout = IDLE_WAIT
        try:
            connection.drain_events(timeout=timeout)
        except TimeoutError:
            connection.heartbeat_check()

    def _batch_ready(self) -> bool:
        """Whether the pending messages should be stored now (the store thread being free)."""
        if not self._pending:
            return False
        if len(self._pending) >= self.batch_size:
            return True
        now = time.monotonic()
        return now >= self._batch_deadline or now - self._last_arrival >= self.quiet_wait

    def _start_batch(self, storer: ThreadPoolExecutor, pool: ThreadPoolExecutor) -> _StoringBatch:
        """Hand the oldest ``batch_size`` pending messages to the store thread."""
        batch = self._pending[: self.batch_size]
        del self._pending[: self.batch_size]
        if self._pending:  # the rest waited as long as the batch: they go next
            self._batch_deadline = time.monotonic()
        return _StoringBatch(batch, storer.submit(self._transform_and_store, batch, pool))

    def _receiver(self, source: PulseSource, queue_name: str) -> Callable[[Message], None]:
        def receive(message: Message) -> None:
            self._last_arrival = time.monotonic()
            if not self._pending:
                self._batch_deadline = self._last_arrival + self.batch_wait
            self._pending.append(_Delivery(message, source, queue_name))

        return receive

    # -- declaring -------------------------------------------------------------------------

    def _declare(self, connection: kombu.Connection) -> list[kombu.Queue]:
        exchanges = {binding.exchange for source in self.sources for binding in source.bindings}
        for name in sorted(exchanges):
            ensure_topic_exchange(connection, name)
        self._internal_exchange = kombu.Exchange(
            self.internal_exchange_name(connection), type="direct", durable=True, auto_delete=False
        )
        queues = []
        with connection.channel() as channel:
            self._internal_exchange(channel).declare()
            for source in self.sources:
                name = self.queue_name(source, connection)
                # Bound by hand: kombu's declarative bindings would re-declare the
                # exchanges, which fails for exchanges declared differently by their owner.
                queue = kombu.Queue(name, durable=True, auto_delete=False)
                queue(channel).declare()
                for binding in source.bindings:
                    for key in binding.routing_keys:
                        channel.queue_bind(queue=name, exchange=binding.exchange, routing_key=key)
                # Retried messages come back through the internal exchange.
                channel.queue_bind(queue=name, exchange=self._internal_exchange.name, routing_key=name)
                dead_letters = self.dead_letter_queue_name(name)
                self._internal_queue(dead_letters)(channel).declare()
                queues.append(queue)
        return queues

    def _internal_queue(self, name: str, arguments: dict[str, Any] | None = None) -> kombu.Queue:
        """A durable queue bound to the internal exchange under its own name."""
        return kombu.Queue(
            name,
            exchange=self._internal_exchange,
            routing_key=name,
            durable=True,
            auto_delete=False,
            queue_arguments=arguments,
        )

    # -- processing -------------------------------------------------------------------------

    def _transform_and_store(self, batch: list[_Delivery], pool: ThreadPoolExecutor) -> None:
        """Transform and store a batch (in the store thread); mark what could not be stored."""
        self.stats.batches += 1
        self.stats.received += len(batch)
        inline = [delivery for delivery in batch if delivery.source.kind == "jobs"]
        fetching = [delivery for delivery in batch if delivery.source.kind != "jobs"]
        repositories: list[PushRepository] = []
        if any(delivery.source.kind == "pushes" for delivery in batch):
            try:
                repositories = list(self.store.push_repositories())
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: the pushes wait
                logger.warning("reading the push repositories failed: %r", exc)
                for delivery in batch:
                    if delivery.source.kind == "pushes":
                        delivery.retry_reason = f"reading repositories failed: {exc!r}"
                fetching = [delivery for delivery in fetching if delivery.retry_reason is None]
        futures = [pool.submit(self._transform, delivery, repositories) for delivery in fetching]
        for delivery in inline:
            self._transform(delivery, repositories)
        for future in futures:
            future.result()

        ready = [d for d in batch if d.dead_reason is None and d.retry_reason is None]
        self._store(ready, "pushes")
        self._store([d for d in ready if d.retry_reason is None], "jobs")

    def _settle(self, storing: _StoringBatch) -> None:
        """Once a batch is stored: park or dead-letter what was not stored, then acknowledge the batch.

        Runs in the consuming thread, which alone uses the connection.
        """
        storing.done.result()  # waits; re-raises what went wrong in the store thread
        batch = storing.deliveries
        for delivery in batch:
            if delivery.dead_reason is not None:
                self._dead_letter(delivery, delivery.dead_reason)
            elif delivery.retry_reason is not None:
                self._retry(delivery, delivery.retry_reason)
        # Every message of the batch is now stored, parked for a retry or dead-lettered (the
        # copies confirmed by the broker). Earlier batches are acknowledged and later messages
        # arrived after these, with higher delivery tags: one acknowledgement of the highest
        # tag of the batch covers exactly its messages.
        last = max(batch, key=lambda delivery: delivery.message.delivery_tag)
        last.message.ack(multiple=True)

    def _transform(self, delivery: _Delivery, repositories: Sequence[PushRepository]) -> None:
        """Fill ``delivery.jobs``/``pushes``, or set why it cannot be stored now."""
        try:
            body = orjson.loads(delivery.message.body)
        except (orjson.JSONDecodeError, TypeError) as exc:
            delivery.dead_reason = f"body is not JSON: {exc}"
            return
        kind = delivery.source.kind
        try:
            if kind == "jobs":
                delivery.jobs = [job_message_to_datum(body)]
            elif kind == "tasks":
                message = {"root_url": delivery.source.root_url, "exchange": delivery.exchange, "payload": body}
                delivery.jobs = task_message_to_jobs(message, self.fetchers.fetch_task, self.fetchers.fetch_artifacts)
            else:
                delivery.pushes = push_message_to_pushes(
                    delivery.exchange, body, repositories, self.fetchers.fetch_json
                )
        except PulseMessageError as exc:
            delivery.dead_reason = exc.reason
        except Exception as exc:  # noqa: BLE001 - fetch failures of any kind are retried, bounded
            logger.warning("transforming a %s message failed, will retry: %r", kind, exc)
            delivery.retry_reason = f"transform failed: {exc!r}"
        if self.projects is not None:
            delivery.jobs = [job for job in delivery.jobs if job.project in self.projects]
            delivery.pushes = [push for push in delivery.pushes if push.repository in self.projects]

    def _store(self, deliveries: Sequence[_Delivery], kind: str) -> None:
        """Store one kind for a batch; on failure find which messages fail by storing them one by one."""
        with_items = [d for d in deliveries if (d.pushes if kind == "pushes" else d.jobs)]
        if not with_items:
            return
        try:
            self._store_items(with_items, kind)
            return
        except Exception:
            logger.exception("storing a batch of %d %s messages failed; storing them one by one", len(with_items), kind)
        stored = 0
        for delivery in with_items:
            try:
                self._store_items([delivery], kind)
                stored += 1
            except Exception as exc:  # noqa: BLE001
                delivery.retry_reason = f"storing {kind} failed: {exc!r}"
        if stored == 0 and len(with_items) > 1:
            # Nothing could be stored: most likely the database is down. Slow down.
            time.sleep(min(self.retry_policy.base_delay, 5.0))

    def _store_items(self, deliveries: Sequence[_Delivery], kind: str) -> None:
        if kind == "pushes":
            pushes = [push for delivery in deliveries for push in delivery.pushes]
            self.store.store_pushes(pushes)
            self.stats.stored_pushes += len(pushes)
            return
        jobs: list[PulseJob] = []
        owners: list[_Delivery] = []
        for delivery in deliveries:
            jobs.extend(delivery.jobs)
            owners.extend([delivery] * len(delivery.jobs))
        missing = set(self.store.store_jobs(jobs))
        self.stats.stored_jobs += len(jobs) - len(missing)
        for index in missing:
            job = jobs[index]
            owners[index].retry_reason = f"push {job.datum.get('revision')} of {job.project} not stored yet"

    # -- retry and dead letters -------------------------------------------------------------

    def _retry(self, delivery: _Delivery, reason: str) -> None:
        attempt = delivery.retries
        if attempt >= self.retry_policy.max_retries:
            self._dead_letter(delivery, f"gave up after {attempt} retries: {reason}")
            return
        delay = self.retry_policy.delay(attempt)
        queue_name = self.retry_queue_name(delivery.queue_name, delay)
        # Expired messages are dead-lettered back to the main queue through the internal exchange.
        retry_queue = self._internal_queue(
            queue_name,
            {
                "x-message-ttl": round(delay * 1000),
                "x-dead-letter-exchange": self._internal_exchange.name,
                "x-dead-letter-routing-key": delivery.queue_name,
            },
        )
        declare = [] if queue_name in self._declared_retry_queues else [retry_queue]
        self._republish(delivery, queue_name, {RETRIES_HEADER: attempt + 1}, declare)
        self._declared_retry_queues.add(queue_name)
        self.stats.retried += 1
        logger.info("retrying a %s message in %.1fs (attempt %d): %s", delivery.source.kind, delay, attempt + 1, reason)

    def _dead_letter(self, delivery: _Delivery, reason: str) -> None:
        queue_name = self.dead_letter_queue_name(delivery.queue_name)
        self._republish(delivery, queue_name, {ERROR_HEADER: reason[:MAX_ERROR_HEADER_LENGTH]}, [])
        self.stats.dead_lettered += 1
        logger.warning("dead-lettered a %s message from %s: %s", delivery.source.kind, delivery.exchange, reason)

    def _republish(
        self, delivery: _Delivery, queue_name: str, extra_headers: dict[str, Any], declare: list[kombu.Queue]
    ) -> None:
        assert self._producer is not None, "republishing outside a connection"
        headers = {
            **{k: v for k, v in delivery.headers.items() if not k.startswith("x-death")},
            EXCHANGE_HEADER: delivery.exchange,
            ROUTING_KEY_HEADER: delivery.routing_key,
            **extra_headers,
        }
        message = delivery.message
        self._producer.publish(
            message.body,
            exchange=self._internal_exchange,
            routing_key=queue_name,
            headers=headers,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8",
            delivery_mode=2,
            declare=declare,
        )

    def _safe_url(self) -> str:
        return kombu.Connection(self.url).as_uri()  # hides the password


def ensure_topic_exchange(connection: kombu.Connection, name: str) -> None:
    """Declare durable topic exchange ``name`` unless it exists.

    The existence check is passive, so exchanges owned by someone else (Pulse's
    ``exchange/taskcluster-queue/...``) are used without needing the right to declare them.
    """
    with connection.channel() as channel:
        try:
            kombu.Exchange(name, type="topic", durable=True)(channel).declare(passive=True)
            return
        except amqp.exceptions.NotFound:
            pass  # the broker closed this channel; declare on a fresh one
    with connection.channel() as channel:
        kombu.Exchange(name, type="topic", durable=True)(channel).declare()
