"""The listener's store: Pulse jobs and pushes through the shared ingestion path."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import select

from treeherder.db import tables as t
from treeherder.ingest.model import JobDatum
from treeherder.ingest.parse import FieldError, parse_job, parse_push
from treeherder.ingest.store import Ingestor, StoredJobs, UnknownRepository

from .jobs import PulseJob
from .pushes import PushRepository, RepositoryPush

logger = logging.getLogger(__name__)

REPOSITORY_CACHE_SECONDS = 60.0
LOG_NAME_MAX_LENGTH = 50
LOG_URL_MAX_LENGTH = 255


def ingestable_datum(datum: dict) -> dict:
    """The job datum as the ingestion layer takes it.

    Perfherder data references become job logs named by their link text, as upstream
    stores them (the perf ingestion picks up logs named ``perfherder-data...``). A log
    whose URL does not fit the column is left out rather than stored cut (a cut URL
    points nowhere) or failing the whole job.
    """
    job = datum["job"]
    references = [*job.get("log_references", ()), *job.get("perfherder_data_references", ())]
    kept = []
    for reference in references:
        if len(reference["url"]) > LOG_URL_MAX_LENGTH:
            logger.warning("leaving out log %s of job %s: URL too long", reference["name"], job["job_guid"])
            continue
        kept.append({**reference, "name": reference["name"][:LOG_NAME_MAX_LENGTH]})
    return {**datum, "job": {**job, "log_references": kept}}


class IngestStore:
    """Stores what the listener receives with :class:`~treeherder.ingest.store.Ingestor`.

    Jobs of unknown or inactive repositories are dropped, as upstream drops them; a job
    or push that the ingestion layer rejects as invalid is logged and dropped too (the
    transforms produce valid data, so this is a bug report, not a retry case).

    ``on_jobs_stored(repository, stored)`` is called after each committed job batch,
    e.g. to queue the parsing of its pending logs at once instead of at the next sweep.
    """

    def __init__(self, ingestor: Ingestor, on_jobs_stored: Callable[[str, StoredJobs], None] | None = None) -> None:
        self.ingestor = ingestor
        self.on_jobs_stored = on_jobs_stored
        self._repositories: list[PushRepository] = []
        self._repositories_read_at = float("-inf")

    def refresh_repositories(self) -> None:
        """Read the repositories again on next use (instead of up to a minute later)."""
        self._repositories_read_at = float("-inf")

    def push_repositories(self) -> list[PushRepository]:
        """Repositories with their URL, status and accepted branches (re-read every minute)."""
        if time.monotonic() - self._repositories_read_at > REPOSITORY_CACHE_SECONDS:
            with self.ingestor.db.read() as conn:
                branches: dict[int, list[str]] = defaultdict(list)
                for repository_id, branch in conn.execute(
                    select(t.repository_branch.c.repository_id, t.repository_branch.c.branch)
                ):
                    branches[repository_id].append(branch)
                rows = conn.execute(
                    select(
                        t.repository.c.id,
                        t.repository.c.name,
                        t.repository.c.url,
                        t.repository.c.active_status,
                        t.repository.c.accepts_pull_requests,
                    ).order_by(t.repository.c.id)
                ).all()
            self._repositories = [
                PushRepository(
                    name=row.name,
                    url=row.url,
                    active=row.active_status == "active",
                    accepts_pull_requests=bool(row.accepts_pull_requests),
                    branches=tuple(branches.get(row.id, ())),
                )
                for row in rows
            ]
            self._repositories_read_at = time.monotonic()
        return self._repositories

    def store_pushes(self, pushes: Sequence[RepositoryPush]) -> None:
        """Store pushes, one transaction per repository."""
        by_repository: dict[str, list] = defaultdict(list)
        for index, (repository, push) in enumerate(pushes):
            errors: list[FieldError] = []
            datum = parse_push(push, index, errors)
            if datum is None:
                logger.error("dropping an invalid push for %s: %s", repository, "; ".join(map(str, errors)))
                continue
            by_repository[repository].append(datum)
        for repository, datums in by_repository.items():
            self.ingestor.store_pushes(repository, datums)

    def store_jobs(self, jobs: Sequence[PulseJob]) -> list[int]:
        """Store jobs, one transaction per repository; return the indexes of jobs whose push is missing."""
        by_repository: dict[str, list[tuple[int, JobDatum]]] = defaultdict(list)
        for index, (project, datum) in enumerate(jobs):
            errors: list[FieldError] = []
            parsed = parse_job(ingestable_datum(datum), index, errors)
            if parsed is None:
                logger.error("dropping an invalid job for %s: %s", project, "; ".join(map(str, errors)))
                continue
            by_repository[project].append((index, parsed))
        missing: list[int] = []
        # Status as of the last minute, so that putting a repository on hold takes effect.
        active = {repository.name: repository.active for repository in self.push_repositories()}
        for project, indexed in by_repository.items():
            if not active.get(project, False):
                status = "inactive" if project in active else "unknown"
                logger.info("dropping %d jobs of %s repository %s", len(indexed), status, project)
                continue
            try:
                stored = self.ingestor.store_jobs(project, [datum for _, datum in indexed], on_missing_push="skip")
            except UnknownRepository:  # created after the last read, then deleted again
                logger.info("dropping %d jobs of unknown repository %s", len(indexed), project)
                continue
            if self.on_jobs_stored is not None and stored.job_ids:
                self.on_jobs_stored(project, stored)
            orphans = {id(datum) for datum in stored.missing_push}
            missing.extend(index for index, datum in indexed if id(datum) in orphans)
        return missing
