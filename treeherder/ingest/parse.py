"""Turning submitted JSON (job and push collections) into the internal form, with field-by-field validation.

A collection is all-or-nothing: every item is checked and every problem reported (item index, field, reason)
before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from treeherder.ingest.model import (
    PARSE_STATUSES,
    RESULTS,
    STATE_RANK,
    CommitDatum,
    ErrorLine,
    JobDatum,
    JobDetail,
    LogReference,
    Platform,
    PushDatum,
)

REVISION_RE = re.compile(r"^[0-9a-fA-F]{12,40}$")
# The year 3000: later is a mistake (milliseconds, most likely).
_MAX_TIMESTAMP = 32503680000
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FieldError:
    index: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        return f"item {self.index}: {self.field}: {self.reason}"


class InvalidCollection(ValueError):
    """One or more items of a submitted collection are invalid; nothing of it was stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


class _Checker:
    """Collects the problems of one item so that all of them are reported, not just the first."""

    def __init__(self, index: int, errors: list[FieldError]) -> None:
        self.index = index
        self.errors = errors

    def fail(self, field: str, reason: str) -> None:
        self.errors.append(FieldError(self.index, field, reason))

    def text(
        self, obj: dict, key: str, path: str, *, limit: int, default: str | None = UNKNOWN, truncate: bool = False
    ) -> str:
        """A string field: absent or null gives the default (upstream's "unknown"); too long is an error
        unless upstream truncates that field."""
        value = obj.get(key)
        if value is None or (value == "" and default == UNKNOWN and key not in _EMPTY_KEPT):
            if default is None:
                self.fail(path, "is required")
                return ""
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(path, f"must be a string, not {type(value).__name__}")
            return ""
        if len(value) > limit:
            if truncate:
                return value[:limit]
            self.fail(path, f"is longer than {limit} characters")
        return value

    def timestamp(self, obj: dict, key: str, path: str) -> int:
        value = obj.get(key)
        if value.__class__ is int and 0 <= value <= _MAX_TIMESTAMP:
            return value
        if value is None or value == "":
            return 0
        if isinstance(value, bool):
            self.fail(path, "must be a Unix timestamp in seconds")
            return 0
        try:
            seconds = int(float(value))
        except (TypeError, ValueError):
            self.fail(path, f"must be a Unix timestamp in seconds, not {value!r}")
            return 0
        if seconds < 0 or seconds > _MAX_TIMESTAMP:
            self.fail(path, f"is out of range: {value!r}")
            return 0
        return seconds

    def platform(self, obj: dict, key: str, path: str) -> Platform | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(path, "must be an object with platform, os_name and architecture")
            return None
        parts = (value.get("os_name"), value.get("platform"), value.get("architecture"))
        known = _PLATFORMS.get(parts) if all(part.__class__ is str for part in parts) else None
        if known is not None:
            return known
        before = len(self.errors)
        # Upstream stores empty parts as given and only defaults absent ones.
        platform = Platform(
            os_name=self.text(value, "os_name", f"{path}.os_name", limit=25),
            platform=self.text(value, "platform", f"{path}.platform", limit=100),
            architecture=self.text(value, "architecture", f"{path}.architecture", limit=25),
        )
        if len(self.errors) == before and parts == (platform.os_name, platform.platform, platform.architecture):
            # Valid as given: later items naming the same platform share this (immutable) object.
            if len(_PLATFORMS) >= _MAX_PLATFORMS:
                _PLATFORMS.clear()
            _PLATFORMS[parts] = platform
        return platform


# Keys whose empty string upstream stores as-is rather than replacing it with "unknown".
_EMPTY_KEPT = frozenset({"result", "machine", "os_name", "platform", "architecture"})
# Platforms seen valid, by their (os_name, platform, architecture) as submitted: a collection names a few dozen
# platforms hundreds of times. Bounded, for a client sending endless distinct ones.
_PLATFORMS: dict[tuple, Platform] = {}
_MAX_PLATFORMS = 4096


def _text(check: _Checker, obj: dict, key: str, path: str, limit: int, default: str | None = UNKNOWN) -> str:
    """``check.text``, answering the common case (a non-empty string within the limit) at once."""
    value = obj.get(key)
    if value.__class__ is str and value and len(value) <= limit:
        return value
    return check.text(obj, key, path, limit=limit, default=default)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_job(obj: Any, index: int, errors: list[FieldError]) -> JobDatum | None:
    """Validate one job datum (`{"project", "revision", "superseded", "job": {...}}`)."""
    check = _Checker(index, errors)
    before = len(errors)
    if not isinstance(obj, dict):
        check.fail("item", "must be an object with revision and job")
        return None
    revision = obj.get("revision")
    if not isinstance(revision, str) or not REVISION_RE.match(revision):
        check.fail("revision", "is required: the 12 to 40 hex digits of a pushed revision")
    job = obj.get("job")
    if not isinstance(job, dict):
        check.fail("job", "is required and must be an object")
        return None

    guid = job.get("job_guid")
    if not isinstance(guid, str) or not guid.strip():
        check.fail("job.job_guid", "is required")
        guid = ""
    elif len(guid) > 50:
        check.fail("job.job_guid", "is longer than 50 characters")

    state = job.get("state")
    if state not in STATE_RANK:
        check.fail("job.state", f"must be one of {', '.join(STATE_RANK)}, not {state!r}")
        state = "pending"
    result = job.get("result", UNKNOWN)
    # treeherder-client 4.0.0 sends "" for a job whose result was never set (pending and running jobs).
    if result is None or result == "":
        result = UNKNOWN
    if result not in RESULTS:
        check.fail("job.result", f"must be one of {', '.join(RESULTS)}, not {result!r}")
        result = UNKNOWN

    tier = job.get("tier") or 1
    if isinstance(tier, str) and tier.isdigit():
        tier = int(tier)
    if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 3:
        check.fail("job.tier", f"must be 1, 2 or 3, not {tier!r}")
        tier = 1

    build_platform = check.platform(job, "build_platform", "job.build_platform")
    machine_platform = check.platform(job, "machine_platform", "job.machine_platform")
    # Each falls back to the other, as in upstream's Pulse transform; a job with neither is "unknown".
    fallback = Platform(UNKNOWN, UNKNOWN, UNKNOWN)
    build_platform = build_platform or machine_platform or fallback
    machine_platform = machine_platform or build_platform

    options = job.get("option_collection") or {}
    if not isinstance(options, dict):
        check.fail("job.option_collection", "must be an object whose keys are option names")
        options = {}
    for name in options:
        if len(name) > 100:
            check.fail("job.option_collection", f"option name {name[:20]!r}... is longer than 100 characters")

    logs = []
    for i, ref in enumerate(_as_list(job.get("log_references"))):
        if not isinstance(ref, dict):
            check.fail(f"job.log_references[{i}]", "must be an object with name and url")
            continue
        url = _text(check, ref, "url", f"job.log_references[{i}].url", 255, default=None)
        status = ref.get("parse_status") or "pending"
        logs.append(
            LogReference(
                name=_text(check, ref, "name", f"job.log_references[{i}].name", 50),
                url=url,
                # Upstream treats any unknown status (the client also allows "error") as pending.
                parse_status=status if status in PARSE_STATUSES else "pending",
            )
        )

    details: list[JobDetail] = []
    text_log_errors: list[ErrorLine] = []
    perf_artifacts: list[dict] = []
    artifacts = _as_list(job.get("artifacts"))
    if job.get("artifact") is not None:
        artifacts = artifacts + [a for a in _as_list(job["artifact"]) if _non_empty_artifact(a)]
    if obj.get("artifacts") is not None:
        artifacts = artifacts + [
            a for a in _as_list(obj["artifacts"]) if isinstance(a, dict) and a.get("job_guid") in (None, guid)
        ]
    for i, artifact in enumerate(artifacts):
        _parse_artifact(check, artifact, f"job.artifacts[{i}]", details, text_log_errors, perf_artifacts)

    superseded = []
    for i, other in enumerate(_as_list(obj.get("superseded")) + _as_list(obj.get("coalesced"))):
        if not isinstance(other, str) or not other or len(other) > 50:
            check.fail(f"superseded[{i}]", "must be a job guid of at most 50 characters")
        else:
            superseded.append(other)

    task_id = job.get("taskcluster_task_id")
    retry_id = job.get("taskcluster_retry_id")
    if task_id is not None or retry_id is not None:
        if not isinstance(task_id, str) or not 0 < len(task_id) <= 22:
            check.fail("job.taskcluster_task_id", "must be a Taskcluster task id (22 characters)")
        if not isinstance(retry_id, int) or isinstance(retry_id, bool) or retry_id < 0:
            check.fail("job.taskcluster_retry_id", "must be a non-negative integer")

    datum = JobDatum(
        revision=revision if isinstance(revision, str) else "",
        guid=guid,
        name=_text(check, job, "name", "job.name", 140),
        symbol=_text(check, job, "job_symbol", "job.job_symbol", 25),
        group_name=_text(check, job, "group_name", "job.group_name", 255),
        group_symbol=_text(check, job, "group_symbol", "job.group_symbol", 25),
        build_platform=build_platform,
        machine_platform=machine_platform,
        machine=_text(check, job, "machine", "job.machine", 100),
        options=tuple(sorted(options)),
        product=_text(check, job, "product_name", "job.product_name", 100) or UNKNOWN,
        who=check.text(job, "who", "job.who", limit=50, truncate=True),
        reason=check.text(job, "reason", "job.reason", limit=125, truncate=True),
        state=state,
        result=result,
        tier=tier,
        submit_timestamp=check.timestamp(job, "submit_timestamp", "job.submit_timestamp"),
        start_timestamp=check.timestamp(job, "start_timestamp", "job.start_timestamp"),
        end_timestamp=check.timestamp(job, "end_timestamp", "job.end_timestamp"),
        build_system_type=_text(check, job, "build_system_type", "job.build_system_type", 25, default="buildbot"),
        reference_data_name=job.get("reference_data_name") or None,
        logs=logs,
        details=details,
        superseded=superseded,
        task_id=task_id if isinstance(task_id, str) else None,
        retry_id=retry_id if isinstance(retry_id, int) else None,
        text_log_errors=text_log_errors,
        perf_artifacts=perf_artifacts,
    )
    if datum.reference_data_name is not None and (
        not isinstance(datum.reference_data_name, str) or len(datum.reference_data_name) > 255
    ):
        check.fail("job.reference_data_name", "must be a string of at most 255 characters")
    return datum if len(errors) == before else None


_STORED_ARTIFACTS = frozenset({"Job Info", "text_log_summary", "performance_data"})


def _non_empty_artifact(artifact: Any) -> bool:
    return isinstance(artifact, dict) and bool(artifact.get("name") or artifact.get("blob"))


def _parse_artifact(
    check: _Checker,
    artifact: Any,
    path: str,
    details: list[JobDetail],
    text_log_errors: list[ErrorLine],
    perf_artifacts: list[dict],
) -> None:
    if not isinstance(artifact, dict):
        check.fail(path, "must be an object with name, type and blob")
        return
    missing = [key for key in ("name", "type", "blob") if key not in artifact]
    if missing:
        check.fail(path, f"is missing {', '.join(missing)}")
        return
    name = artifact["name"]
    if name not in _STORED_ARTIFACTS:
        # Other artifacts ("Bug suggestions", "buildapi", ...) carry nothing upstream stores: accepted and dropped.
        return
    blob = artifact["blob"]
    if isinstance(blob, str):
        try:
            blob = orjson.loads(blob) if blob else {}
        except orjson.JSONDecodeError:
            check.fail(f"{path}.blob", "is not valid JSON")
            return
    if name == "Job Info":
        items = blob.get("job_details") if isinstance(blob, dict) else None
        if not isinstance(items, list):
            check.fail(f"{path}.blob.job_details", "must be a list of {title, value, url}")
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict) or item.get("value") in (None, ""):
                check.fail(f"{path}.blob.job_details[{i}].value", "is required")
                continue
            title = item.get("title")
            url = item.get("url")
            details.append(
                JobDetail(
                    title=str(title)[:70] if title is not None else "",
                    value=str(item["value"])[:125],
                    url=str(url)[:512] if url else None,
                )
            )
    elif name == "text_log_summary":
        if not isinstance(blob, dict):
            check.fail(f"{path}.blob", "must be an object")
            return
        errors: Iterable = blob.get("errors") or []
        steps = (blob.get("step_data") or {}).get("steps") or []
        for step in steps:
            errors = list(errors) + list(step.get("errors") or [])
        for i, error in enumerate(errors):
            if not isinstance(error, dict) or not isinstance(error.get("linenumber"), int):
                check.fail(f"{path}.blob.errors[{i}]", "must have an integer linenumber and a line")
                continue
            text_log_errors.append(ErrorLine(error["linenumber"], str(error.get("line", ""))))
    elif name == "performance_data":
        data = blob.get("performance_data") if isinstance(blob, dict) else None
        for item in _as_list(data):
            if not isinstance(item, dict):
                check.fail(f"{path}.blob.performance_data", "must be a performance object or a list of them")
                continue
            perf_artifacts.append(item)


def parse_job_collection(items: Any) -> list[JobDatum]:
    """Validate a whole job collection; raises InvalidCollection listing every problem."""
    if not isinstance(items, list):
        raise InvalidCollection([FieldError(0, "body", "must be a JSON array of job objects")])
    errors: list[FieldError] = []
    jobs = [parse_job(item, i, errors) for i, item in enumerate(items)]
    if errors:
        raise InvalidCollection(errors)
    return jobs  # type: ignore[return-value]


def parse_push(obj: Any, index: int, errors: list[FieldError]) -> PushDatum | None:
    """Validate one push: `{revision, author, push_timestamp, revisions: [{revision, author, comment}]}`.

    The legacy "resultset" shape has no push author; it is taken from the push's last (tip) commit.
    """
    check = _Checker(index, errors)
    before = len(errors)
    if not isinstance(obj, dict):
        check.fail("item", "must be an object with revision, author, push_timestamp and revisions")
        return None
    revisions = obj.get("revisions")
    commits: list[CommitDatum] = []
    if not isinstance(revisions, list) or not revisions:
        check.fail("revisions", "is required: a non-empty list of {revision, author, comment}")
        revisions = []
    for i, rev in enumerate(revisions):
        path = f"revisions[{i}]"
        if not isinstance(rev, dict):
            check.fail(path, "must be an object")
            continue
        sha = rev.get("revision")
        if not isinstance(sha, str) or not REVISION_RE.match(sha):
            check.fail(f"{path}.revision", "must be 12 to 40 hex digits")
            continue
        comment = rev.get("comment", rev.get("comments", ""))
        commits.append(
            CommitDatum(
                revision=sha,
                author=check.text(rev, "author", f"{path}.author", limit=150, truncate=True),
                comment=comment if isinstance(comment, str) else str(comment),
            )
        )
    revision = obj.get("revision") or (commits[-1].revision if commits else None)
    if not isinstance(revision, str) or not REVISION_RE.match(revision):
        check.fail("revision", "is required: the 12 to 40 hex digits of the push's tip revision")
    author = obj.get("author")
    if author is None and commits:
        author = commits[-1].author
    if not isinstance(author, str) or not author:
        check.fail("author", "is required")
    elif len(author) > 150:
        check.fail("author", "is longer than 150 characters")
    timestamp = check.timestamp(obj, "push_timestamp", "push_timestamp")
    if "push_timestamp" not in obj:
        check.fail("push_timestamp", "is required (Unix seconds)")
    branch = obj.get("branch")
    if branch is not None and not isinstance(branch, str):
        check.fail("branch", "must be a string")
    if len(errors) != before:
        return None
    return PushDatum(revision=revision, author=author, push_timestamp=timestamp, commits=commits, branch=branch)


def parse_push_collection(items: Any) -> list[PushDatum]:
    """Validate a whole push collection; raises InvalidCollection listing every problem."""
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise InvalidCollection([FieldError(0, "body", "must be a JSON array of push objects")])
    errors: list[FieldError] = []
    pushes = [parse_push(item, i, errors) for i, item in enumerate(items)]
    if errors:
        raise InvalidCollection(errors)
    return pushes  # type: ignore[return-value]
