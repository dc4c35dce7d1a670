"""Loading files of pushes and jobs (the REST submission formats) through the ingestion path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from treeherder.ingest.parse import InvalidCollection, parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor, StoredJobs

BATCH_SIZE = 1000


class LoadError(ValueError):
    """A file cannot be loaded; the message names the file and the problem."""


@dataclass
class LoadSummary:
    pushes: int = 0
    jobs: int = 0
    skipped: int = 0
    pending_logs: list[tuple[int, int, str, str]] = field(default_factory=list)
    perf_signature_ids: set[int] = field(default_factory=set)

    def add(self, stored: StoredJobs) -> None:
        self.jobs += len(stored.job_ids)
        self.skipped += stored.skipped
        self.pending_logs.extend(stored.pending_logs)
        self.perf_signature_ids.update(stored.perf_signature_ids)


def read_objects(path: Path) -> list[Any]:
    """A JSON array, a single JSON object, or JSON lines."""
    raw = path.read_bytes()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
        objects = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise LoadError(f"{path}: line {number} is not valid JSON ({exc})") from None
        return objects
    return data if isinstance(data, list) else [data]


def split_by_kind(objects: Iterable[Any], default_repo: str | None, origin: str) -> tuple[dict, dict]:
    """Group objects into pushes and jobs per repository. Jobs carry `job`; pushes carry `revisions`."""
    pushes: dict[str, list] = defaultdict(list)
    jobs: dict[str, list] = defaultdict(list)
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise LoadError(f"{origin}: item {index} is not a JSON object")
        repo = obj.get("project") if "job" in obj else None
        repo = repo or default_repo
        if repo is None:
            raise LoadError(f"{origin}: item {index} names no repository (no `project`); pass --repo NAME")
        if "job" in obj:
            jobs[repo].append(obj)
        elif "revisions" in obj:
            pushes[repo].append(obj)
        else:
            raise LoadError(f"{origin}: item {index} is neither a job (`job` key) nor a push (`revisions` key)")
    return pushes, jobs


def load_objects(
    ingestor: Ingestor,
    pushes: dict[str, list],
    jobs: dict[str, list],
    progress: Callable[[str, int], None] | None = None,
) -> LoadSummary:
    """Store pushes (all of them first) and then jobs, in batches. Each batch is validated as a whole."""
    summary = LoadSummary()
    for repo, items in pushes.items():
        for start in range(0, len(items), BATCH_SIZE):
            batch = parse_push_collection(items[start : start + BATCH_SIZE])
            ingestor.store_pushes(repo, batch)
            summary.pushes += len(batch)
            if progress:
                progress("pushes", len(batch))
    for repo, items in jobs.items():
        for start in range(0, len(items), BATCH_SIZE):
            batch = parse_job_collection(items[start : start + BATCH_SIZE])
            summary.add(ingestor.store_jobs(repo, batch))
            if progress:
                progress("jobs", len(batch))
    return summary


def describe_invalid(exc: InvalidCollection) -> str:
    first = exc.errors[0]
    more = f" (and {len(exc.errors) - 1} more problems)" if len(exc.errors) > 1 else ""
    return f"{first}{more}"
