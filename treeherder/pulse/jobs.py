"""Treeherder Pulse job messages (``pulse-job.yml``) -> job datums for ingestion.

A job datum is the same ``{"job": {...}, "revision": ..., "superseded": [...]}``
object that REST submissions carry, so Pulse jobs are stored by the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import InvalidJobMessage
from .schemas import schema_errors
from .slugs import uuid_to_slug
from .timestamps import to_timestamp

JOB_SCHEMA = "pulse-job.yml"

# Owners longer than the schema allows are cut rather than rejected, as upstream does.
OWNER_MAX_LENGTH = 50
OWNER_TRUNCATED_LENGTH = 49

# Completed-job results of the message -> stored results. ``fail`` depends on the job kind.
_COMPLETED_RESULTS = {
    "success": "success",
    "exception": "exception",
    "retry": "retry",
    "canceled": "usercancel",
    "superseded": "superseded",
    "unknown": "unknown",
}

_TIME_FIELDS = (
    ("submit_timestamp", "timeScheduled"),
    ("start_timestamp", "timeStarted"),
    ("end_timestamp", "timeCompleted"),
)

ERRORSUMMARY_SUFFIX = "_errorsummary.log"
ERRORSUMMARY_LOG_NAME = "errorsummary_json"


class PulseJob(NamedTuple):
    """A job datum and the name of the repository (``origin.project``) it belongs to."""

    project: str
    datum: dict[str, Any]


def validate_job_message(message: Any) -> Mapping[str, Any]:
    """Check ``message`` against ``pulse-job.yml`` and return it, ready to transform.

    An overlong ``owner`` is shortened first (the returned mapping is then a copy).
    Raises :class:`InvalidJobMessage` with the most relevant schema error as reason.
    """
    if isinstance(message, Mapping):
        owner = message.get("owner")
        if isinstance(owner, str) and len(owner) > OWNER_MAX_LENGTH:
            message = {**message, "owner": owner[:OWNER_TRUNCATED_LENGTH]}
    error = schema_errors(JOB_SCHEMA, message)
    if error is None:
        return message
    path, reason = error
    raise InvalidJobMessage(f"{path}: {reason}", body=message, path=path)


def job_message_to_datum(message: Any) -> PulseJob:
    """Validate a Pulse job message and transform it into a job datum."""
    return transform_job_message(validate_job_message(message))


def transform_job_message(message: Mapping[str, Any]) -> PulseJob:
    """Transform an already validated Pulse job message into a job datum.

    Raises :class:`InvalidJobMessage` for a date-time that cannot be parsed (the
    schema names the format but, like upstream, validation does not assert it).
    """
    display = message["display"]
    job_guid = message["taskId"]
    links = message.get("jobInfo", {}).get("links", ())
    job: dict[str, Any] = {
        "job_guid": job_guid,
        "name": display.get("jobName", "unknown"),
        "job_symbol": f"{display['jobSymbol']}{display.get('chunkId', '')}",
        "group_name": display.get("groupName", "unknown"),
        "group_symbol": display.get("groupSymbol"),
        "product_name": message.get("productName", "unknown"),
        "state": message["state"],
        "result": job_result(message),
        "reason": message.get("reason", "unknown"),
        "who": message.get("owner", "unknown"),
        "build_system_type": message["buildSystem"],
        "tier": message.get("tier", 1),
        "machine": _machine_name(message),
        "option_collection": {label: True for label in message.get("labels", ())},
        "log_references": _log_references(message.get("logs", ()), links),
        "perfherder_data_references": _perfherder_data_references(links),
    }
    for datum_field, message_field in _TIME_FIELDS:
        value = message.get(message_field)
        if value is not None:
            try:
                job[datum_field] = to_timestamp(value)
            except (TypeError, ValueError) as exc:
                raise InvalidJobMessage(
                    f"$.{message_field}: {value!r} is not a date-time", body=message, path=f"$.{message_field}"
                ) from exc

    # Either machine stands in for the other when only one is given.
    fallback_platform = message.get("buildMachine") or message.get("runMachine") or {}
    job["build_platform"] = _platform(message.get("buildMachine") or fallback_platform)
    job["machine_platform"] = _platform(message.get("runMachine") or fallback_platform)
    job.update(taskcluster_metadata(job_guid))

    datum = {
        "job": job,
        "revision": message["origin"]["revision"],
        "superseded": list(message.get("coalesced", ())),
    }
    return PulseJob(message["origin"]["project"], datum)


def job_result(message: Mapping[str, Any]) -> str:
    """Return the stored result of a job message (``unknown`` until it is completed)."""
    if message["state"] != "completed":
        return "unknown"
    if message.get("isRetried"):
        return "retry"
    result = message.get("result", "unknown")
    if result == "fail":
        return "testfailed" if message.get("jobKind") == "test" else "busted"
    return _COMPLETED_RESULTS.get(result, "unknown")


def taskcluster_metadata(job_guid: str) -> dict[str, Any]:
    """Return ``taskcluster_task_id``/``taskcluster_retry_id`` for a ``<uuid>/<run>`` guid.

    Guids of any other form carry no Taskcluster metadata and give an empty dict.
    """
    task_uuid, slash, run = job_guid.partition("/")
    if not slash or not run.isdigit():
        return {}
    try:
        task_id = uuid_to_slug(task_uuid)
    except ValueError:
        return {}
    return {"taskcluster_task_id": task_id, "taskcluster_retry_id": int(run)}


def _machine_name(message: Mapping[str, Any]) -> str:
    for key in ("buildMachine", "runMachine"):
        name = message.get(key, {}).get("name")
        if name:
            return name
    return "unknown"


def _platform(machine: Mapping[str, Any]) -> dict[str, str]:
    return {
        "platform": machine.get("platform", ""),
        "os_name": machine.get("os", ""),
        "architecture": machine.get("architecture", ""),
    }


def _log_references(logs: Any, links: Any) -> list[dict[str, str]]:
    references = [{"name": log["name"], "url": log["url"], "parse_status": "pending"} for log in logs]
    # Structured error summaries are uploaded as artifacts, not declared as logs.
    references.extend(
        {"name": ERRORSUMMARY_LOG_NAME, "url": link["url"], "parse_status": "pending"}
        for link in links
        if link["linkText"].endswith(ERRORSUMMARY_SUFFIX)
    )
    return references


def _perfherder_data_references(links: Any) -> list[dict[str, str]]:
    return [
        {"name": link["linkText"], "url": link["url"], "parse_status": "pending"}
        for link in links
        if "perfherder-data" in link["url"] and link["url"].endswith(".json")
    ]
