"""The Pulse listener against a real RabbitMQ node."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
import uuid

import kombu
import pytest

from treeherder.pulse.jobs import job_message_to_datum
from treeherder.pulse.listener import (
    ERROR_HEADER,
    EXCHANGE_HEADER,
    RETRIES_HEADER,
    Fetchers,
    PulseListener,
    RetryPolicy,
)
from treeherder.pulse.publish import publish_messages
from treeherder.pulse.pushes import PushRepository
from treeherder.pulse.sources import Binding, PulseSource, job_sources, push_sources, task_sources

pytestmark = pytest.mark.rabbitmq

PROJECT = "mozilla-central"
FAST_RETRIES = RetryPolicy(max_retries=2, base_delay=0.2, max_delay=0.4)


class RecordingStore:
    """An in-memory store with the contract of the ingestion layer."""

    def __init__(self, repositories=()):
        self.lock = threading.Lock()
        self.jobs = []
        self.pushes = []
        self.missing_revisions = set()
        self.failing_guids = set()
        self.repositories = list(repositories)
        self.job_calls = 0

    def store_jobs(self, jobs):
        with self.lock:
            self.job_calls += 1
            if any(job.datum["job"]["job_guid"] in self.failing_guids for job in jobs):
                raise RuntimeError("constraint violated")
            missing = [i for i, job in enumerate(jobs) if job.datum["revision"] in self.missing_revisions]
            self.jobs.extend(job for i, job in enumerate(jobs) if i not in missing)
            return missing

    def store_pushes(self, pushes):
        with self.lock:
            self.pushes.extend(pushes)

    def push_repositories(self):
        return self.repositories


def wait_until(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class RunningListener:
    def __init__(self, listener):
        self.listener = listener
        self.stop = threading.Event()
        self.thread = threading.Thread(target=listener.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.listener.ready.wait(15), "listener did not start"
        return self.listener

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()


def no_fetch(*args):
    raise AssertionError(f"unexpected fetch {args}")


def make_listener(url, sources, store, fetchers=None, **options):
    options.setdefault("batch_wait", 0.05)
    options.setdefault("retry_policy", FAST_RETRIES)
    return PulseListener(
        url,
        sources,
        store,
        fetchers or Fetchers(fetch_task=no_fetch, fetch_json=no_fetch),
        queue_prefix=f"queue/test-{uuid.uuid4().hex[:8]}",
        **options,
    )


def drain_queue(url, name):
    """Return (body, headers) of every message in queue ``name``, consuming them."""
    found = []
    with kombu.Connection(url) as connection, connection.channel() as channel:
        queue = kombu.Queue(name, durable=True)(channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append((message.body, message.headers))
    return found


def queue_depth(url, name):
    with kombu.Connection(url) as connection, connection.channel() as channel:
        return channel.queue_declare(queue=name, passive=True).message_count


@pytest.fixture(scope="module")
def job_messages(shared_fixtures):
    messages = json.loads((shared_fixtures / "pulse" / "jobs" / "job_data.json").read_text())
    for message in messages:
        message["origin"]["project"] = PROJECT
    return messages


@pytest.fixture
def jobs_exchange():
    return f"exchange/test-{uuid.uuid4().hex[:8]}/v1/jobs"


def test_job_messages_are_stored_in_batches_and_acked(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, batch_size=10)
    with RunningListener(listener) as running:
        queue_name = running.queue_name(running.sources[0], kombu.Connection(rabbitmq_url))
        # The listener declared the missing exchange; publishing needs it to exist.
        assert publish_messages(rabbitmq_url, jobs_exchange, "tc-treeherder.mozilla-central._", job_messages) == 26
        wait_until(lambda: len(store.jobs) == 26, what="26 stored jobs")
    assert [job.datum for job in store.jobs] == [job_message_to_datum(m).datum for m in job_messages]
    assert {job.project for job in store.jobs} == {PROJECT}
    assert 3 <= listener.stats.batches < 26  # batched, by at most batch_size
    assert store.job_calls == listener.stats.batches
    assert queue_depth(rabbitmq_url, queue_name) == 0  # everything acknowledged


def test_binding_keys_filter_like_upstream(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.mozilla-central._"), store)
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "tc-treeherder.try._", job_messages[:1])
        publish_messages(rabbitmq_url, jobs_exchange, "tc-treeherder.mozilla-central._", job_messages[1:2])
        wait_until(lambda: len(store.jobs) == 1, what="one stored job")
        time.sleep(0.2)
    assert store.jobs[0].datum["job"]["job_guid"] == job_messages[1]["taskId"]
    assert len(store.jobs) == 1


def test_invalid_messages_go_to_the_dead_letter_queue(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store)
    invalid = copy.deepcopy(job_messages[0])
    invalid["origin"]["project"] = "set by test"
    with RunningListener(listener) as running:
        queue_name = running.queue_name(running.sources[0], kombu.Connection(rabbitmq_url))
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", [invalid, job_messages[1]])
        with kombu.Connection(rabbitmq_url) as connection:
            kombu.Producer(connection.channel()).publish(
                b"{not json", exchange=jobs_exchange, routing_key="a.b", content_type="application/json"
            )
        wait_until(lambda: listener.stats.dead_lettered == 2, what="two dead letters")
    assert [job.datum["job"]["job_guid"] for job in store.jobs] == [job_messages[1]["taskId"]]
    dead = drain_queue(rabbitmq_url, running.dead_letter_queue_name(queue_name))
    assert len(dead) == 2
    reasons = {headers[ERROR_HEADER] for _, headers in dead}
    assert any("$.origin.project" in reason for reason in reasons)
    assert any("not JSON" in reason for reason in reasons)
    assert {headers[EXCHANGE_HEADER] for _, headers in dead} == {jobs_exchange}
    assert json.loads(dead[0][0]) == invalid  # the original body is kept


def test_job_whose_push_is_missing_is_retried_until_it_arrives(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    revision = job_messages[0]["origin"]["revision"]
    store.missing_revisions.add(revision)
    listener = make_listener(
        rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, retry_policy=RetryPolicy(5, 0.3, 0.3)
    )
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[:1])
        wait_until(lambda: listener.stats.retried >= 1, what="a retry")
        assert store.jobs == []
        store.missing_revisions.clear()  # the push arrives
        wait_until(lambda: len(store.jobs) == 1, what="the job stored after its push")
    assert listener.stats.dead_lettered == 0


def test_retries_are_bounded(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    store.missing_revisions.add(job_messages[0]["origin"]["revision"])
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store)
    started = time.monotonic()
    with RunningListener(listener) as running:
        queue_name = running.queue_name(running.sources[0], kombu.Connection(rabbitmq_url))
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[:1])
        wait_until(lambda: listener.stats.dead_lettered == 1, what="the dead letter")
    # delays 0.2 s then 0.4 s elapsed in the broker's retry queues
    assert time.monotonic() - started >= 0.6
    assert listener.stats.retried == 2
    assert store.job_calls == 3
    [(_, headers)] = drain_queue(rabbitmq_url, running.dead_letter_queue_name(queue_name))
    assert headers[ERROR_HEADER].startswith("gave up after 2 retries: push ")
    assert headers[RETRIES_HEADER] == 2


def test_a_failing_message_does_not_block_its_batch(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    store.failing_guids.add(job_messages[2]["taskId"])
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, batch_size=5, batch_wait=0.5)
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[:5])
        wait_until(lambda: len(store.jobs) == 4 and listener.stats.retried >= 1, what="four stored, one retried")
        store.failing_guids.clear()
        wait_until(lambda: len(store.jobs) == 5, what="the fifth after its retry")
    assert store.jobs[-1].datum["job"]["job_guid"] == job_messages[2]["taskId"]


class BlockingStore(RecordingStore):
    """Holds its first ``store_jobs`` call until the test releases it."""

    def __init__(self):
        super().__init__()
        self.storing = threading.Event()
        self.release = threading.Event()
        self._held = False

    def store_jobs(self, jobs):
        if not self._held:
            self._held = True
            self.storing.set()
            assert self.release.wait(15), "the test did not release the store"
        return super().store_jobs(jobs)


def test_a_partial_batch_is_stored_once_messages_stop_coming(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    # Waiting for a full batch would take a minute: it must be stored once the queue goes quiet.
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, batch_size=100, batch_wait=60)
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages)
        wait_until(lambda: len(store.jobs) == 26, timeout=10, what="26 stored jobs")
    assert [job.datum for job in store.jobs] == [job_message_to_datum(m).datum for m in job_messages]


def test_the_next_batch_is_received_while_one_is_stored(rabbitmq_url, job_messages, jobs_exchange):
    store = BlockingStore()
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, batch_size=5)
    with RunningListener(listener) as running:
        queue_name = running.queue_name(running.sources[0], kombu.Connection(rabbitmq_url))
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages)
        assert store.storing.wait(15)
        # Unacknowledged: the batch being stored and the next one (two batches); the rest waits in the broker.
        wait_until(lambda: queue_depth(rabbitmq_url, queue_name) == 26 - 2 * 5, what="two batches delivered")
        assert store.jobs == []
        store.release.set()
        wait_until(lambda: len(store.jobs) == 26, what="26 stored jobs")
    # Batches are stored one at a time, in the order their messages arrived.
    assert [job.datum for job in store.jobs] == [job_message_to_datum(m).datum for m in job_messages]
    assert queue_depth(rabbitmq_url, queue_name) == 0


def test_a_batch_stored_while_the_connection_breaks_is_delivered_again(
    rabbitmq_url, broker_proxy, job_messages, jobs_exchange
):
    store = BlockingStore()
    listener = make_listener(broker_proxy.url, job_sources(f"{jobs_exchange}.#"), store, reconnect_max_delay=0.5)
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[:1])
        assert store.storing.wait(15)
        listener.ready.clear()
        broker_proxy.cut()  # before the store commits: the message must not have been acknowledged
        store.release.set()
        wait_until(listener.ready.is_set, timeout=30, what="reconnection")
        wait_until(lambda: len(store.jobs) == 2, what="the job stored again after its re-delivery")
    assert [job.datum["job"]["job_guid"] for job in store.jobs] == [job_messages[0]["taskId"]] * 2


def test_task_messages_are_transformed_with_fetched_tasks(rabbitmq_url, shared_fixtures):
    folder = shared_fixtures / "pulse" / "taskcluster"
    messages = json.loads((folder / "taskcluster_pulse_messages.json").read_text())
    tasks = json.loads((folder / "taskcluster_tasks.json").read_text())
    expected = json.loads((folder / "taskcluster_transformed_jobs.json").read_text())
    chosen = {}
    for task_id, message in messages.items():
        chosen.setdefault(message["exchange"], task_id)
    store = RecordingStore()
    fetched = []

    def fetch_task(root_url, task_id):
        fetched.append((root_url, task_id))
        return tasks[task_id]

    sources = task_sources(json.dumps([{"root_url": "https://taskcluster.net"}]))
    listener = make_listener(rabbitmq_url, sources, store, Fetchers(fetch_task=fetch_task, fetch_json=no_fetch))
    with RunningListener(listener):
        for exchange, task_id in chosen.items():
            publish_messages(rabbitmq_url, exchange, messages[task_id]["routes"], [messages[task_id]["payload"]])
        wait_until(lambda: len(store.jobs) == len(chosen), what="one job per task event")
    assert len(chosen) == 3
    by_guid = {job.datum["job"]["job_guid"]: job.datum for job in store.jobs}
    for task_id in chosen.values():
        assert by_guid[expected[task_id]["job"]["job_guid"]] == expected[task_id]
    assert sorted(fetched) == sorted(("https://taskcluster.net", task_id) for task_id in chosen.values())


def test_push_messages_are_stored(rabbitmq_url, shared_fixtures):
    folder = shared_fixtures / "pulse" / "pushes"
    load = lambda name: json.loads((folder / name).read_text())
    replies = {
        "https://hg.mozilla.org/try/json-pushes?version=2&full=1&startID=136597&endID=136598": load(
            "hg_push_commits.json"
        ),
        "https://api.github.com/repos/mozilla-mobile/android-components/compare/"
        "7285afe57ae6207fdb5d6db45133dac2053b7820...5fdb785b28b356f50fc1d9cb180d401bb03fc1f1": load(
            "github_push_compare.json"
        )[0],
    }
    store = RecordingStore(
        [
            PushRepository("try", "https://hg.mozilla.org/try"),
            PushRepository("ac", "https://github.com/mozilla-mobile/android-components", branches=("master",)),
        ]
    )
    sources = push_sources(json.dumps([{"hgmo": True, "github": True}]))
    listener = make_listener(
        rabbitmq_url, sources, store, Fetchers(fetch_task=no_fetch, fetch_json=replies.__getitem__)
    )
    github = load("github_push.json")[0]
    with RunningListener(listener):
        publish_messages(rabbitmq_url, "exchange/hgpushes/v1", "try", [load("hg_push.json")])
        publish_messages(rabbitmq_url, github["exchange"], github["routingKey"], [github["payload"]])
        wait_until(lambda: len(store.pushes) == 2, what="two pushes")
    by_repository = {push.repository: push.push for push in store.pushes}
    assert by_repository == {"try": load("transformed_hg_push.json"), "ac": load("transformed_gh_push.json")}


def test_failed_fetch_is_retried(rabbitmq_url, shared_fixtures):
    folder = shared_fixtures / "pulse" / "taskcluster"
    messages = json.loads((folder / "taskcluster_pulse_messages.json").read_text())
    tasks = json.loads((folder / "taskcluster_tasks.json").read_text())
    task_id, message = next(iter(messages.items()))
    attempts = []

    def flaky_fetch(root_url, wanted):
        attempts.append(wanted)
        if len(attempts) == 1:
            raise ConnectionError("queue unavailable")
        return tasks[wanted]

    store = RecordingStore()
    sources = task_sources(json.dumps([{"root_url": "https://taskcluster.net"}]))
    listener = make_listener(rabbitmq_url, sources, store, Fetchers(fetch_task=flaky_fetch, fetch_json=no_fetch))
    with RunningListener(listener):
        publish_messages(rabbitmq_url, message["exchange"], "primary.x", [message["payload"]])
        wait_until(lambda: len(store.jobs) == 1, what="the job after a failed fetch")
    assert attempts == [task_id, task_id]
    assert listener.stats.retried == 1


class CuttableProxy:
    """A TCP proxy on loopback whose connections the test can cut, like a network failure would."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self):
        self.server.close()
        self.cut()


@pytest.fixture
def broker_proxy(rabbitmq_url):
    """A CuttableProxy in front of the test broker; ``.url`` connects through it."""
    broker = kombu.Connection(rabbitmq_url)
    proxy = CuttableProxy(broker.hostname, broker.port)
    proxy.url = f"amqp://{broker.userid}:{broker.password}@127.0.0.1:{proxy.port}/{broker.virtual_host}"
    try:
        yield proxy
    finally:
        proxy.close()


def test_listener_reconnects_after_the_connection_breaks(rabbitmq_url, broker_proxy, job_messages, jobs_exchange):
    store = RecordingStore()
    listener = make_listener(broker_proxy.url, job_sources(f"{jobs_exchange}.#"), store, reconnect_max_delay=0.5)
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[:1])
        wait_until(lambda: len(store.jobs) == 1, what="first job")
        listener.ready.clear()
        broker_proxy.cut()
        wait_until(listener.ready.is_set, timeout=30, what="reconnection")
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", job_messages[1:2])
        wait_until(lambda: len(store.jobs) == 2, what="second job after reconnecting")


def test_existing_exchanges_are_used_not_redeclared(rabbitmq_url, job_messages, jobs_exchange):
    """A pre-existing exchange with other properties (Pulse's own) is bound as it is."""
    with kombu.Connection(rabbitmq_url) as connection, connection.channel() as channel:
        kombu.Exchange(jobs_exchange, type="topic", durable=False)(channel).declare()
    store = RecordingStore()
    sources = [PulseSource("jobs", (Binding(jobs_exchange, ("#",)),))]
    listener = make_listener(rabbitmq_url, sources, store)
    with RunningListener(listener):
        with kombu.Connection(rabbitmq_url) as connection:
            kombu.Producer(connection.channel()).publish(
                json.dumps(job_messages[0]), exchange=jobs_exchange, routing_key="x", content_type="application/json"
            )
        wait_until(lambda: len(store.jobs) == 1, what="the job")


def test_projects_limit_what_is_stored(rabbitmq_url, job_messages, jobs_exchange):
    store = RecordingStore()
    listener = make_listener(rabbitmq_url, job_sources(f"{jobs_exchange}.#"), store, projects=["autoland"])
    other = copy.deepcopy(job_messages[1])
    other["origin"]["project"] = "autoland"
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", [job_messages[0], other])
        wait_until(lambda: listener.stats.received == 2 and len(store.jobs) == 1, what="one of two stored")
    assert store.jobs[0].project == "autoland"
    assert listener.stats.dead_lettered == listener.stats.retried == 0


def test_push_waits_when_the_repositories_cannot_be_read(rabbitmq_url, shared_fixtures):
    folder = shared_fixtures / "pulse" / "pushes"
    reply = json.loads((folder / "hg_push_commits.json").read_text())

    class FlakyRepositories(RecordingStore):
        reads = 0

        def push_repositories(self):
            self.reads += 1
            if self.reads == 1:
                raise ConnectionError("database unavailable")
            return self.repositories

    store = FlakyRepositories([PushRepository("try", "https://hg.mozilla.org/try")])
    sources = push_sources("exchange/hgpushes/v1.#")
    listener = make_listener(rabbitmq_url, sources, store, Fetchers(fetch_task=no_fetch, fetch_json=lambda _url: reply))
    with RunningListener(listener):
        publish_messages(
            rabbitmq_url, "exchange/hgpushes/v1", "try", [json.loads((folder / "hg_push.json").read_text())]
        )
        wait_until(lambda: len(store.pushes) == 1, what="the push after a retry")
    assert listener.stats.retried == 1
    assert store.pushes[0].repository == "try"


def test_listener_works_with_pulse_permissions(rabbitmq_node, rabbitmq_url, job_messages, jobs_exchange):
    """Pulse lets a user configure and write only ``queue/<user>/...`` and ``exchange/<user>/...``."""
    if rabbitmq_node is None:
        pytest.skip("needs the private node to create a user")
    user = f"pulse{uuid.uuid4().hex[:6]}"
    own = f"^(queue/{user}/.*|exchange/{user}/.*)"
    rabbitmq_node.ctl("add_user", user, "secret")
    rabbitmq_node.ctl("set_permissions", "-p", "/", user, own, own, f"^(queue/{user}/.*|exchange/.*)")
    with kombu.Connection(rabbitmq_url) as connection, connection.channel() as channel:
        kombu.Exchange(jobs_exchange, type="topic", durable=True)(channel).declare()  # owned by the publisher
    broker = kombu.Connection(rabbitmq_url)
    user_url = f"amqp://{user}:secret@{broker.hostname}:{broker.port}/"
    store = RecordingStore()
    store.missing_revisions.add(job_messages[0]["origin"]["revision"])
    invalid = copy.deepcopy(job_messages[1])
    invalid["state"] = "finished"
    listener = PulseListener(
        user_url,
        job_sources(f"{jobs_exchange}.#"),
        store,
        Fetchers(fetch_task=no_fetch, fetch_json=no_fetch),
        batch_wait=0.05,
        retry_policy=RetryPolicy(5, 0.3, 0.3),
    )
    with RunningListener(listener):
        publish_messages(rabbitmq_url, jobs_exchange, "a.b", [job_messages[0], invalid])
        wait_until(
            lambda: listener.stats.retried >= 1 and listener.stats.dead_lettered == 1, what="retry and dead letter"
        )
        store.missing_revisions.clear()
        wait_until(lambda: len(store.jobs) == 1, what="the retried job")
    dead = drain_queue(rabbitmq_url, f"queue/{user}/jobs.dead-letter")
    assert [json.loads(body)["state"] for body, _ in dead] == ["finished"]
