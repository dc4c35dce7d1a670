"""The embedded worker's queue, the queue routing and the retry policy."""

from __future__ import annotations

import threading
import time
import zlib

import jsonschema
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from treeherder.work.embedded import WorkItem, WorkQueue
from treeherder.work.handlers import MAX_RETRIES, RetryableLogFailure, retry_delay, should_retry
from treeherder.work.routing import ALL_QUEUES, LOG_PARSER_QUEUE, Priority, log_priority, log_queue


def test_ready_items_come_out_by_priority_then_arrival() -> None:
    queue = WorkQueue()
    for n, priority in enumerate([2, 0, 1, 0, 2]):
        queue.put(WorkItem("log", n), priority)
    taken = [queue.get() for _ in range(5)]
    assert [(item.target_id, priority) for item, priority, _attempt in taken] == [(1, 0), (3, 0), (2, 1), (0, 2), (4, 2)]


def test_an_item_is_held_once_until_finished() -> None:
    queue = WorkQueue()
    item = WorkItem("log", 7)
    assert queue.put(item, 0)
    assert not queue.put(item, 0)
    taken, _priority, _attempt = queue.get()
    assert not queue.put(item, 0)  # running
    queue.finish(taken)
    assert queue.put(item, 0)  # done: a later hand-over queues it again


def test_a_retried_item_waits_for_its_delay_and_counts_attempts() -> None:
    queue = WorkQueue()
    queue.put(WorkItem("log", 1), 0)
    item, priority, attempt = queue.get()
    assert attempt == 0
    queue.retry(item, priority, attempt + 1, 0.2)
    assert not queue.put(item, 0)  # still known while it waits
    assert queue.waiting_retries == 1
    started = time.monotonic()
    again, _priority, attempt = queue.get()
    assert again == item and attempt == 1
    assert time.monotonic() - started >= 0.15


def test_a_deferred_item_absorbs_the_puts_made_while_it_waits() -> None:
    queue = WorkQueue()
    item = WorkItem("alerts", 3)
    started = time.monotonic()
    assert queue.put(item, 1, defer=0.2)
    assert not queue.put(item, 1, defer=0.2)  # the same signature again within the wait: one run covers both
    assert not queue.wait_idle(0.05)  # deferred work is work to wait for (a retry's wait is not)
    taken, _priority, attempt = queue.get()
    assert taken == item and attempt == 0
    assert time.monotonic() - started >= 0.15
    queue.finish(taken)
    assert queue.wait_idle(0.1)


def test_closing_wakes_waiting_threads() -> None:
    queue = WorkQueue()
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(queue.get()))
    thread.start()
    time.sleep(0.05)
    queue.close()
    thread.join(2)
    assert results == [None]
    assert not queue.put(WorkItem("log", 1), 0)


def test_wait_idle_reports_running_work() -> None:
    queue = WorkQueue()
    queue.put(WorkItem("log", 1), 0)
    item, _priority, _attempt = queue.get()
    assert not queue.wait_idle(0.05)
    threading.Timer(0.05, queue.finish, args=(item,)).start()
    assert queue.wait_idle(2)


@pytest.mark.parametrize(
    ("log_name", "result", "repository", "queue"),
    [
        ("live_backing_log", "success", "mozilla-central", LOG_PARSER_QUEUE),
        ("errorsummary_json", "success", "try", LOG_PARSER_QUEUE),
        ("live_backing_log", "testfailed", "mozilla-central", "log_parser_fail_raw_sheriffed"),
        ("live_backing_log", "busted", "try", "log_parser_fail_raw_unsheriffed"),
        ("errorsummary_json", "testfailed", "autoland", "log_parser_fail_json_sheriffed"),
        ("errorsummary_json", "exception", None, "log_parser_fail_json_unsheriffed"),
        ("builds-4h", "retry", "toolchains", "log_parser_fail_raw_sheriffed"),
    ],
)
def test_log_queues_follow_upstream(log_name: str, result: str, repository: str | None, queue: str) -> None:
    assert log_queue(log_name, result, repository) == queue
    assert queue in ALL_QUEUES


def test_perfherder_artifacts_go_to_perf_ingest() -> None:
    for name in ("perfherder_data", "perfherder-data-raptor.json", "perfherder_data_talos"):
        assert log_queue(name, "testfailed", "mozilla-central") == "perf_ingest"
        assert log_priority(name, "success") == Priority.PERF_DATA
    assert log_queue("perf_summary", "success", "try") == LOG_PARSER_QUEUE


def test_failed_jobs_logs_come_first_then_perf_work_then_other_logs() -> None:
    failed, success = log_priority("live_backing_log", "testfailed"), log_priority("live_backing_log", "success")
    assert failed < Priority.PERF_DATA < Priority.PERF_ALERTS < success


def test_retry_delay_is_upstreams_backoff() -> None:
    for retries in range(MAX_RETRIES):
        low, high = 10 * int(1.9**retries), 10 * int(2.1**retries)
        assert all(low <= retry_delay(retries) <= high for _ in range(20))
    assert retry_delay(0) == 10
    assert retry_delay(3) in (60, 70, 80, 90)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad"),
        KeyError("k"),
        TypeError("t"),
        IndexError("i"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid"),
        zlib.error("bad data"),
        jsonschema.ValidationError("invalid"),
        IntegrityError("INSERT", {}, Exception("duplicate")),
    ],
)
def test_errors_another_try_cannot_fix_are_not_retried(exc: Exception) -> None:
    assert not should_retry(exc)


@pytest.mark.parametrize(
    "exc", [RetryableLogFailure("503"), OperationalError("SELECT", {}, Exception("gone")), ConnectionError("reset")]
)
def test_passing_failures_are_retried(exc: Exception) -> None:
    assert should_retry(exc)
