"""Which queue a piece of background work goes to, and how urgent it is.

Queue names are upstream's (INGESTION.md §C), so operators can run the same worker layout: logs of jobs that did not
succeed go to the ``log_parser_fail_*`` queues, split by log kind (raw text or JSON error summary) and by whether
sheriffs watch the repository; logs of successful jobs go to ``log_parser``; Perfherder JSON artifacts (job logs
named ``perfherder_data...``) to ``perf_ingest``; alert generation to ``generate_perf_alerts``. The embedded worker has no queues but keeps the same order through priorities.
"""

from __future__ import annotations

from enum import IntEnum

from treeherder.logs.names import is_perf_artifact

LOG_PARSER_QUEUE = "log_parser"
PERF_INGEST_QUEUE = "perf_ingest"
PERF_ALERTS_QUEUE = "generate_perf_alerts"
DEFAULT_QUEUE = "default"

#: Repositories whose failures sheriffs watch; only the queue choice depends on it.
SHERIFFED_REPOSITORIES = frozenset(
    {
        "autoland",
        "mozilla-central",
        "mozilla-beta",
        "mozilla-release",
        "mozilla-esr115",
        "mozilla-esr140",
        "mozilla-esr153",
        "reference-browser",
        "toolchains",
    }
)

#: Structured error summaries; every other parseable log is unstructured text.
JSON_LOG_NAMES = frozenset({"errorsummary_json"})

FAILURE_QUEUES = tuple(
    f"log_parser_fail_{kind}_{watch}" for kind in ("raw", "json") for watch in ("sheriffed", "unsheriffed")
)
#: Every queue a worker consumes when none are named, failures first.
ALL_QUEUES = (*FAILURE_QUEUES, LOG_PARSER_QUEUE, PERF_INGEST_QUEUE, PERF_ALERTS_QUEUE, DEFAULT_QUEUE)


class Priority(IntEnum):
    """Order of the embedded worker's work (lower first), mirroring the queues above."""

    FAILED_JOB_LOG = 0
    PERF_DATA = 1
    PERF_ALERTS = 2
    LOG = 3


def is_failure(job_result: str) -> bool:
    """Whether a job's logs count as failure logs (upstream: any result but ``success``)."""
    return job_result != "success"


def log_priority(log_name: str, job_result: str) -> Priority:
    """Priority of handling a job log of this name for a job with this result."""
    if is_perf_artifact(log_name):
        return Priority.PERF_DATA
    return Priority.FAILED_JOB_LOG if is_failure(job_result) else Priority.LOG


def log_queue(log_name: str, job_result: str, repository: str | None) -> str:
    """The Celery queue for handling one job log."""
    if is_perf_artifact(log_name):
        return PERF_INGEST_QUEUE
    if not is_failure(job_result):
        return LOG_PARSER_QUEUE
    kind = "json" if log_name in JSON_LOG_NAMES else "raw"
    watch = "sheriffed" if repository in SHERIFFED_REPOSITORIES else "unsheriffed"
    return f"log_parser_fail_{kind}_{watch}"
