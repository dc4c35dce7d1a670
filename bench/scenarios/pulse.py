"""Pulse ingestion: job messages through a real RabbitMQ into `treeherder pulse-listen`, in messages/second.

Job messages (``pulse-job.yml``) are built from the generated REST jobs and published to the job exchange; the clock
runs from the first publish until every job is in the database. The listener hands the failed jobs' logs to a
`treeherder worker` (Celery on the same broker), which fetches them from a local HTTP server and parses them, so the
worker's peak memory is measured on real work (scenario 6). Baseline: the raw insert rate, as for REST ingestion.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import kombu
from sqlalchemy import func, select

from bench.databases import fresh_database
from bench.harness import Result, by_size, peak_memory_result, progress
from bench.processes import peak_rss_tree_megabytes, static_file_server, stderr_tail, treeherder_process
from bench.scenarios.ingest import raw_insert_rate
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_push_collection
from treeherder.ingest.store import Ingestor
from treeherder.pulse.jobs import job_message_to_datum
from treeherder.pulse.listener import ensure_topic_exchange
from treeherder.pulse.sources import DEFAULT_JOB_SOURCES
from treeherder.sample import SAMPLE_LOGS, DatasetSize, generate_jobs, generate_pushes
from treeherder.work.routing import ALL_QUEUES

REPO = "autoland"
JOB_EXCHANGE = DEFAULT_JOB_SOURCES.split(".", 1)[0]
# Stored result -> (message result, isRetried).
_MESSAGE_RESULTS = {
    "success": "success",
    "testfailed": "fail",
    "busted": "fail",
    "exception": "exception",
    "usercancel": "canceled",
    "superseded": "superseded",
    "retry": "success",
    "unknown": "unknown",
}
_FAILED = ("testfailed", "busted", "exception")


def broker_url() -> str | None:
    return os.environ.get("BENCH_BROKER_URL") or os.environ.get("TEST_BROKER_URL")


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def job_message(datum: dict, log_base: str) -> dict:
    """The Pulse job message (pulse-job.yml) a Taskcluster deployment would send for a generated REST job."""
    job = datum["job"]
    machine = job.get("machine", "unknown")

    def platform(key: str) -> dict:
        p = job[key]
        return {"platform": p["platform"], "os": p["os_name"], "architecture": p["architecture"], "name": machine}

    message = {
        "taskId": job["job_guid"],
        "origin": {"project": datum["project"], "revision": datum["revision"]},
        "buildSystem": "taskcluster",
        "display": {
            "jobSymbol": job["job_symbol"],
            "jobName": job["name"],
            "groupSymbol": job.get("group_symbol") or "?",
            "groupName": job.get("group_name") or "unknown",
        },
        "state": job["state"],
        "jobKind": "build" if job["name"].startswith("build-") else "test",
        "runMachine": platform("machine_platform"),
        "buildMachine": platform("build_platform"),
        "owner": job["who"],
        "reason": job["reason"],
        "productName": job["product_name"],
        "labels": sorted(job["option_collection"]),
        "tier": job["tier"],
        "version": 1,
        "timeScheduled": _iso(job["submit_timestamp"]),
    }
    if job["state"] == "completed":
        message["result"] = _MESSAGE_RESULTS.get(job["result"], "unknown")
        message["isRetried"] = job["result"] == "retry"
    if job.get("start_timestamp"):
        message["timeStarted"] = _iso(job["start_timestamp"])
    if job.get("end_timestamp"):
        message["timeCompleted"] = _iso(job["end_timestamp"])
    if job["state"] == "completed" and job["result"] in _FAILED:
        # Failed jobs' logs are real sample logs on a local server: the worker fetches and parses them.
        log_name = SAMPLE_LOGS[int(job["job_guid"][:8], 16) % len(SAMPLE_LOGS)]
        message["logs"] = [{"name": "live_backing_log", "url": f"{log_base}/{log_name}"}]
    return message


def _purge_celery_queues(url: str) -> None:
    """Drop background work left by an earlier run (its log ids belong to another database)."""
    with kombu.Connection(url) as connection, connection.channel() as channel:
        for name in ALL_QUEUES:
            try:
                channel.queue_purge(name)
            except Exception:  # noqa: BLE001 - the queue does not exist yet: nothing to purge
                channel = connection.channel()


def _wait_for_queue(url: str, name: str, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with kombu.Connection(url) as connection:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"pulse-listen exited: {stderr_tail(proc)}")
            channel = connection.channel()
            try:
                _, _, consumers = channel.queue_declare(name, passive=True)
                if consumers:
                    return
            except Exception:  # noqa: BLE001 - not declared yet
                pass
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: BLE001 - already closed by the broker
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"pulse-listen did not consume {name} within {timeout:.0f} s: {stderr_tail(proc)}")
            time.sleep(0.2)


def _publish(url: str, messages: list[bytes]) -> None:
    with kombu.Connection(url) as connection:
        connection.connect()
        ensure_topic_exchange(connection, JOB_EXCHANGE)
        with connection.channel() as channel:
            producer = kombu.Producer(channel)
            for body, routing_key in messages:
                producer.publish(
                    body,
                    exchange=JOB_EXCHANGE,
                    routing_key=routing_key,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                )


def _delete_listener_queues(url: str, prefix: str) -> None:
    """Delete the run's queues: left bound to the job exchange, each would get a durable copy of every message of
    every later run on this broker, slowing down its publishing (several-fold after a few runs)."""
    with kombu.Connection(url) as connection, connection.channel() as channel:
        for name in (f"{prefix}/jobs", f"{prefix}/jobs.dead-letter"):
            channel.queue_delete(name)
        channel.exchange_delete(f"exchange/{prefix.removeprefix('queue/')}/treeherder")


def _count(db, table) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _pending_logs(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(t.job_log).where(t.job_log.c.status == 0)).scalar_one()


def run(size: str, backend: str) -> list[Result]:
    import orjson

    url = broker_url()
    if url is None:
        progress(f"Pulse ingestion on {backend}: skipped (no RabbitMQ: set TEST_BROKER_URL)")
        return []
    pushes = generate_pushes(REPO, by_size(size, 1, 4, 30), seed=13, size=DatasetSize())
    share = by_size(size, 0.2, 1.0, 0.6)
    jobs = list(generate_jobs(REPO, pushes, share=share, seed=13, final_push_running=False))
    logs_dir = Path(tempfile.mkdtemp(prefix="treeherder-bench-logs-"))
    sample_logs = resources.files("treeherder.data").joinpath("sample_logs")
    for name in SAMPLE_LOGS:
        (logs_dir / name).write_bytes(sample_logs.joinpath(name).read_bytes())
    prefix = f"queue/bench-{uuid.uuid4().hex[:8]}"
    progress(f"Pulse ingestion on {backend}: {len(jobs)} job messages through RabbitMQ")
    try:
        with fresh_database(backend) as db, static_file_server(logs_dir) as log_base:
            Ingestor(db).store_pushes(REPO, parse_push_collection(pushes))
            baseline = raw_insert_rate(db, len(jobs))
            messages = []
            for datum in jobs:
                message = job_message(datum, log_base)
                job_message_to_datum(message)  # every message must be valid, or the count below never completes
                routing_key = f"tc-treeherder.v2.{REPO}.{datum['revision']}.0"
                messages.append((orjson.dumps(message), routing_key))
            _purge_celery_queues(url)
            env = {
                "DATABASE_URL": db.url,
                "BROKER_URL": url,
                "PULSE_URL": url,
                "PULSE_JOB_SOURCES": DEFAULT_JOB_SOURCES,
                "LOG_FETCH_ALLOWLIST": "127.0.0.1",
            }
            with (
                treeherder_process(["worker", "--pool", "threads", "--concurrency", "2", "--no-sweep"], env) as worker,
                treeherder_process(["pulse-listen", "--kind", "jobs", "--queue-prefix", prefix], env) as listener,
            ):
                _wait_for_queue(url, f"{prefix}/jobs", listener)
                start = time.perf_counter()
                _publish(url, messages)
                deadline = time.monotonic() + 600
                while (stored := _count(db, t.job)) < len(jobs):
                    if listener.poll() is not None:
                        raise RuntimeError(f"pulse-listen exited: {stderr_tail(listener)}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"only {stored} of {len(jobs)} jobs stored after 600 s")
                    time.sleep(0.05)
                elapsed = time.perf_counter() - start
                # Let the worker parse the failed jobs' logs, so its memory is measured on that work.
                parse_deadline = time.monotonic() + by_size(size, 30, 60, 300)
                while _pending_logs(db) and time.monotonic() < parse_deadline:
                    if worker.poll() is not None:
                        raise RuntimeError(f"treeherder worker exited: {stderr_tail(worker)}")
                    time.sleep(0.2)
                unparsed = _pending_logs(db)
                parsed = _count(db, t.job_log) - unparsed
                worker_rss = peak_rss_tree_megabytes(worker.pid)
                listener_rss = peak_rss_tree_megabytes(listener.pid)
    finally:
        shutil.rmtree(logs_dir, ignore_errors=True)
        _delete_listener_queues(url, prefix)
    return [
        Result(
            scenario="job ingestion, Pulse via RabbitMQ (pulse-listen)",
            database=backend,
            value=len(jobs) / elapsed,
            unit="msg/s",
            baseline_value=baseline,
            target_ratio=0.20,
            notes="first publish to all jobs stored; baseline: raw executemany of rows of the same width",
            extra={"messages": len(jobs), "listener_peak_rss_mb": round(listener_rss, 1)},
        ),
        peak_memory_result(
            "worker peak memory (RSS, parsing the Pulse jobs' failure logs)",
            backend,
            worker_rss,
            notes="; `treeherder worker --pool threads -c 2`",
            extra={"logs_parsed": parsed, "logs_unparsed": unparsed},
        ),
    ]
