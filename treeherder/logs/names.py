"""Which job logs get background work, by name: the one place for these rules (ingestion, the workers, the parser).

Kept free of imports so that ingestion can use it without importing the parser or the workers.
"""

from __future__ import annotations

#: Unstructured text logs (HEAD's name first, then the buildbot-era names).
TEXT_LOG_NAMES = frozenset({"live_backing_log", "buildbot_text", "builds-4h"})
#: Structured error summaries.
ERROR_SUMMARY_LOG_NAMES = frozenset({"errorsummary_json"})
#: Logs the parser reads; other logs are stored but never parsed (as upstream).
PARSEABLE_LOG_NAMES = TEXT_LOG_NAMES | ERROR_SUMMARY_LOG_NAMES


def is_perf_artifact(log_name: str) -> bool:
    """Whether a job log is a Perfherder JSON artifact (upstream: the name, ``-`` read as ``_``, starts so)."""
    return log_name.replace("-", "_").startswith("perfherder_data")


def needs_background_work(log_name: str) -> bool:
    """Whether a job log is parsed or ingested in the background once its job is stored."""
    return log_name in PARSEABLE_LOG_NAMES or is_perf_artifact(log_name)
