"""Taskcluster queue messages -> Treeherder Pulse job messages -> job datums.

Taskcluster publishes one message per task event on
``exchange/taskcluster-queue/v1/task-<event>``. A task is reported to Treeherder when
its definition carries exactly one ``tc-treeherder.<version>.<project>.<revision>[.<id>]``
route and a valid ``extra.treeherder`` section. The message is first rebuilt into
a ``pulse-job.yml`` message, which then follows the ordinary job path
(:mod:`treeherder.pulse.jobs`).

Fetching is injected so the transforms stay pure: ``fetch_task(root_url, task_id)``
returns a task definition and the optional ``fetch_artifacts(root_url, task_id,
run_id)`` returns the run's artifact list (``[{"name": "public/...", ...}]``).
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .errors import PulseMessageError, UnsupportedExchangeError
from .jobs import PulseJob, job_message_to_datum
from .schemas import schema_errors
from .slugs import slug_to_uuid

logger = logging.getLogger(__name__)

TASK_EXCHANGE_PREFIX = "exchange/taskcluster-queue/v1/"
TASK_EVENTS = ("task-defined", "task-pending", "task-running", "task-completed", "task-failed", "task-exception")
TREEHERDER_ROUTE_PREFIX = "tc-treeherder"
TREEHERDER_CONFIG_SCHEMA = "task-treeherder-config.yml"

JOB_NAME_MAX_LENGTH = 139
ARTIFACT_LINK_LABEL = "artifact uploaded"
# Reasons a run was created that mean the previous run was retried by the queue.
RETRY_REASONS = frozenset({"retry", "task-retry"})

FetchTask = Callable[[str, str], Mapping[str, Any]]
FetchArtifacts = Callable[[str, str, int], Sequence[Mapping[str, Any]]]


class PushRoute(NamedTuple):
    """What a ``tc-treeherder`` route says about the push a task belongs to."""

    project: str
    revision: str
    push_id: int
    owner: str | None  # GitHub organisation for ``owner/project`` routes, else None


def task_event(exchange: str) -> str:
    """Return the event (``task-pending``, ...) of a queue exchange name.

    Raises :class:`UnsupportedExchangeError` for any other exchange.
    """
    event = exchange.removeprefix(TASK_EXCHANGE_PREFIX)
    if event == exchange or event not in TASK_EVENTS:
        raise UnsupportedExchangeError(f"not a Taskcluster queue task exchange: {exchange}")
    return event


def parse_treeherder_route(routes: Sequence[str]) -> PushRoute | None:
    """Return the push named by the task's single ``tc-treeherder`` route.

    None when the task has no such route or more than one (it is not for Treeherder).
    Raises :class:`PulseMessageError` for a route that is too short or has a
    non-numeric push id.
    """
    matching = [route for route in routes if route.split(".", 1)[0] == TREEHERDER_ROUTE_PREFIX]
    if len(matching) != 1:
        return None
    route = matching[0]
    parts = route.split(".")
    if len(parts) < 4:
        raise PulseMessageError(f"malformed treeherder route: {route}")
    owner, _, project = parts[2].rpartition("/")
    push_id = 0
    if len(parts) >= 5 and parts[4]:
        if not parts[4].isdigit():
            raise PulseMessageError(f"push id of treeherder route is not a number: {route}")
        push_id = int(parts[4])
    return PushRoute(project=project, revision=parts[3], push_id=push_id, owner=owner or None)


def treeherder_config(task: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return ``task.extra.treeherder`` when present and valid, else None (task ignored)."""
    config = (task.get("extra") or {}).get("treeherder")
    if not isinstance(config, Mapping):
        return None
    error = schema_errors(TREEHERDER_CONFIG_SCHEMA, config)
    if error is not None:
        logger.info("ignoring task with invalid extra.treeherder: %s: %s", *error)
        return None
    return config


def task_message_to_job_messages(
    message: Mapping[str, Any],
    task: Mapping[str, Any],
    fetch_artifacts: FetchArtifacts | None = None,
) -> list[dict[str, Any]]:
    """Rebuild a Taskcluster queue message as Pulse job messages (not yet validated).

    ``message`` is ``{"root_url", "exchange", "payload"}`` where ``payload`` is the
    queue message body (``{"runId", "status": {...}}``). Returns an empty list for
    tasks that are not reported to Treeherder and for runs Treeherder does not show.
    """
    event = task_event(message.get("exchange", ""))
    slug = message_task_id(message)
    payload = message["payload"]
    status = payload["status"]

    route = parse_treeherder_route(task.get("routes", ()))
    if route is None:
        return []
    config = treeherder_config(task)
    if config is None:
        return []

    run_id = 0 if event == "task-defined" else payload.get("runId", 0)
    runs = status.get("runs") or []
    run = _find_run(runs, run_id)
    if run is None and event != "task-defined":
        raise PulseMessageError(f"task {slug} has no run {run_id}", body=message)
    run = run or {}

    if event == "task-exception" and run.get("reasonCreated") == "exception":
        # Runs created by an exception (deadline exceeded before any run) are noise.
        return []

    try:
        job = _base_job_message(route, task, config, slug, run_id, run, event)
    except KeyError as exc:
        raise PulseMessageError(f"task {slug} lacks {exc}", body=message) from exc

    root_url = message_root_url(message)
    if event == "task-running":
        job["timeStarted"] = run["started"]
    elif event in ("task-completed", "task-failed", "task-exception"):
        if run.get("started"):
            job["timeStarted"] = run["started"]
        job["timeCompleted"] = run["resolved"]
        if event == "task-exception":
            # Exceptions rarely leave a log, so no link that would most likely 404.
            job["logs"] = []
            next_run = _find_run(runs, run_id + 1)
            if next_run is not None and next_run.get("reasonCreated") in RETRY_REASONS:
                job["isRetried"] = True
        else:
            job["logs"] = [{"name": "live_backing_log", "url": live_backing_log_url(root_url, slug, run_id)}]
        if fetch_artifacts is not None:
            artifacts = fetch_artifacts(root_url, slug, run_id)
            job["jobInfo"]["links"] = artifact_links(root_url, slug, run_id, artifacts)
    return [job]


def task_message_to_jobs(
    message: Mapping[str, Any],
    fetch_task: FetchTask,
    fetch_artifacts: FetchArtifacts | None = None,
) -> list[PulseJob]:
    """Fetch the task of a queue message and return its validated job datums.

    Raises :class:`~treeherder.pulse.errors.InvalidJobMessage` when the rebuilt job
    message is invalid, :class:`PulseMessageError` for unusable messages; errors
    raised by the fetch callables propagate (they are usually worth a retry).
    """
    task_event(message.get("exchange", ""))
    task = fetch_task(message_root_url(message), message_task_id(message))
    return [job_message_to_datum(job) for job in task_message_to_job_messages(message, task, fetch_artifacts)]


def message_task_id(message: Mapping[str, Any]) -> str:
    """Return the (slug) taskId of a queue message; :class:`PulseMessageError` if it has none."""
    try:
        task_id = message["payload"]["status"]["taskId"]
    except (KeyError, TypeError) as exc:
        raise PulseMessageError("task message without payload.status.taskId", body=message) from exc
    if not isinstance(task_id, str):
        raise PulseMessageError(f"taskId is not a string: {task_id!r}", body=message)
    return task_id


def message_root_url(message: Mapping[str, Any]) -> str:
    """Return the Taskcluster root URL the listener attached to a queue message."""
    root_url = message.get("root_url")
    if not isinstance(root_url, str) or not root_url:
        raise PulseMessageError("task message without root_url", body=message)
    return root_url.rstrip("/")


def live_backing_log_url(root_url: str, task_id: str, run_id: int) -> str:
    """Return the URL of a run's ``live_backing.log`` artifact."""
    return artifact_url(root_url, task_id, run_id, "public/logs/live_backing.log")


def artifact_url(root_url: str, task_id: str, run_id: int, name: str) -> str:
    """Return the queue URL of artifact ``name`` of a task run."""
    return f"{root_url}/api/queue/v1/task/{task_id}/runs/{run_id}/artifacts/{name}"


def artifact_links(
    root_url: str, task_id: str, run_id: int, artifacts: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Return ``jobInfo.links`` for uploaded artifacts, titled by file name.

    Repeated file names get `` (1)``, `` (2)``, ... so every link text is unique.
    """
    seen: dict[str, int] = {}
    links = []
    for artifact in artifacts:
        name = artifact["name"]
        file_name = posixpath.basename(name)
        repeats = seen.get(file_name, 0)
        seen[file_name] = repeats + 1
        link_text = f"{file_name} ({repeats})" if repeats else file_name
        links.append(
            {"label": ARTIFACT_LINK_LABEL, "linkText": link_text, "url": artifact_url(root_url, task_id, run_id, name)}
        )
    return links


def _find_run(runs: Sequence[Mapping[str, Any]], run_id: int) -> Mapping[str, Any] | None:
    if 0 <= run_id < len(runs) and runs[run_id].get("runId", run_id) == run_id:
        return runs[run_id]
    return next((run for run in runs if run.get("runId") == run_id), None)


def _run_state(event: str, run: Mapping[str, Any]) -> tuple[str, str]:
    """Return the (state, result) of the job message for a run."""
    if event == "task-defined":
        return "unscheduled", "unknown"
    if event == "task-pending":
        return "pending", "unknown"
    if event == "task-running":
        return "running", "unknown"
    if event == "task-completed":
        return "completed", "success"
    if event == "task-failed":
        return "completed", "fail"
    reason = run.get("reasonResolved")
    return "completed", reason if reason in ("canceled", "superseded") else "exception"


def _base_job_message(
    route: PushRoute,
    task: Mapping[str, Any],
    config: Mapping[str, Any],
    slug: str,
    run_id: int,
    run: Mapping[str, Any],
    event: str,
) -> dict[str, Any]:
    try:
        task_uuid = slug_to_uuid(slug)
    except ValueError as exc:
        raise PulseMessageError(f"taskId is not a slugid: {slug!r}") from exc
    state, result = _run_state(event, run)
    metadata = task["metadata"]
    display: dict[str, Any] = {
        # Symbols may be chunk numbers; Treeherder wants text.
        "jobSymbol": str(config["symbol"]),
        "groupSymbol": config.get("groupSymbol", "?"),
        "jobName": metadata["name"][:JOB_NAME_MAX_LENGTH],
    }
    if config.get("groupName"):
        display["groupName"] = config["groupName"]

    labels = config.get("labels") or list(config.get("collection") or ()) or ["opt"]
    machine = config.get("machine") or {}
    origin = {"project": route.project, "revision": route.revision, "id": route.push_id}
    job: dict[str, Any] = {
        "buildSystem": "taskcluster",
        "owner": metadata["owner"],
        "taskId": f"{task_uuid}/{run_id}",
        "retryId": run_id,
        "isRetried": False,
        "display": display,
        "state": state,
        "result": result,
        "tier": config.get("tier", 1),
        "timeScheduled": task["created"],
        "jobKind": config.get("jobKind", "other"),
        "reason": config.get("reason", "scheduled"),
        "labels": labels,
        "buildMachine": {
            "name": run.get("workerId") or "unknown",
            "platform": machine.get("platform") or _worker_type(task),
            "os": machine.get("os", "-"),
            "architecture": machine.get("architecture", "-"),
        },
        "jobInfo": {"links": []},
        "origin": origin,
        "version": 1,
    }
    description = metadata.get("description")
    if isinstance(description, str):
        job["jobInfo"]["summary"] = description
    if config.get("productName"):
        job["productName"] = config["productName"]
    return job


def _worker_type(task: Mapping[str, Any]) -> str:
    # Newer task definitions name a task queue ("provisioner/worker-type") instead.
    worker_type = task.get("workerType")
    if worker_type:
        return worker_type
    return str(task.get("taskQueueId", "unknown")).rsplit("/", 1)[-1]
