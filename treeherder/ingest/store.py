"""Storing pushes and jobs in bulk: the one place every way in ends up.

A batch is stored in one transaction with a handful of statements, whatever its size:
reference data is resolved through caches (misses are inserted with ON CONFLICT DO NOTHING and read back in one
SELECT), jobs are upserted on their guid with a WHERE clause that only lets a job move forward
(unscheduled < pending < running < completed), and logs, details, error lines and Taskcluster metadata follow as
bulk inserts. Nothing here knows whether a datum came from REST, Pulse or a file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import insert_ignore
from treeherder.ingest.bulk import JobRows, write_jobs
from treeherder.ingest.model import JobDatum, Platform, PushDatum
from treeherder.logs.names import PARSEABLE_LOG_NAMES, needs_background_work

log = logging.getLogger(__name__)

_CHUNK = 500


class UnknownRepository(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"No repository with name: {name}")


class MissingPushes(LookupError):
    """Jobs refer to revisions the repository has no push for."""

    def __init__(self, repository: str, revisions: Sequence[str]) -> None:
        self.repository = repository
        self.revisions = sorted(set(revisions))
        shown = ", ".join(self.revisions[:10]) + (" ..." if len(self.revisions) > 10 else "")
        super().__init__(f"no push in {repository} for revision(s) {shown}; submit the push first")


@dataclass(frozen=True, slots=True)
class Repository:
    id: int
    name: str
    active: bool
    dvcs_type: str
    url: str
    performance_alerts_enabled: bool
    is_try_repo: bool


@dataclass
class StoredJobs:
    """What a job batch changed: the jobs written (guid -> id), and the background work it calls for."""

    job_ids: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    # (job_log id, job id, log name, job result) of logs waiting for the parser.
    pending_logs: list[tuple[int, int, str, str]] = field(default_factory=list)
    # Jobs left out because their push has not arrived (only with on_missing_push="skip").
    missing_push: list[JobDatum] = field(default_factory=list)
    # Performance signatures that received new data (for alert generation).
    perf_signature_ids: set[int] = field(default_factory=set)


# Handlers that store what jobs carry beyond the job itself (e.g. performance artifacts). Each is called inside the
# batch's transaction with the repository and the (datum, job id, push id) triples written, and returns the ids of
# performance signatures that received data.
JobExtrasHandler = Callable[[Connection, Repository, list[tuple[JobDatum, int, int]]], Iterable[int]]
JOB_EXTRAS_HANDLERS: list[JobExtrasHandler] = []
# Work a caller wants done at the start of a batch's transaction.
TransactionStep = Callable[[Connection], None]


def option_collection_hash(options: Iterable[str]) -> str:
    """Upstream's hash of an option set: SHA-1 of the sorted option names concatenated."""
    return hashlib.sha1("".join(sorted(options)).encode("utf-8")).hexdigest()


def job_signature(datum: JobDatum, repository: str, options_hash: str) -> str:
    """Upstream's reference-data signature of a job (see INGESTION.md A.8)."""
    return _signature_of_parts(
        datum.build_system_type,
        repository,
        *_platform_key(datum.build_platform),
        *_platform_key(datum.machine_platform),
        datum.group_name,
        datum.group_symbol,
        datum.name,
        datum.symbol,
        options_hash,
        datum.reference_data_name,
    )


# Cached: a batch names a few hundred job kinds thousands of times.
@lru_cache(maxsize=16384)
def _signature_of_parts(*parts: str | None) -> str:
    return hashlib.sha1("".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _platform_key(platform: Platform) -> tuple[str, str, str]:
    return (platform.os_name, platform.platform, platform.architecture)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_GENERATION = (
    select(t.reference_data_generation.c.value).where(t.reference_data_generation.c.id == 1).with_for_update(read=True)
)


class RefDataCache:
    """Natural key -> id for the reference-data tables.

    Holds only ids that exist in the database: ids created inside a transaction are staged and published to the
    cache after the commit, so a rollback cannot leave an id in the cache that points at nothing.
    """

    def __init__(self) -> None:
        self._ids: dict[str, dict[Any, int]] = {}
        self.generation: int | None = None

    def clear(self) -> None:
        self._ids.clear()

    def follow(self, conn: Connection) -> None:
        """Forget every id if reference rows were removed since the cache last looked (cycle_reference_data bumps
        the generation). Call first in a write transaction: on PostgreSQL the row is read FOR SHARE, so no removal
        can commit before the transaction ends and the ids the transaction uses stay valid."""
        generation = conn.execute(_GENERATION).scalar_one()
        if generation != self.generation:
            self.clear()
            self.generation = generation

    def table(self, name: str) -> dict[Any, int]:
        return self._ids.setdefault(name, {})

    def publish(self, staged: dict[str, dict[Any, int]]) -> None:
        for name, ids in staged.items():
            self.table(name).update(ids)


class Ingestor:
    """Stores batches of pushes and jobs into one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache = RefDataCache()
        self._repositories: dict[str, Repository] = {}

    # --- repositories -------------------------------------------------------------------------------------------

    def repository(self, name: str) -> Repository:
        repo = self._repositories.get(name)
        if repo is None:
            with self.db.read() as conn:
                row = conn.execute(select(t.repository).where(t.repository.c.name == name)).mappings().first()
            if row is None:
                raise UnknownRepository(name)
            repo = Repository(
                id=row["id"],
                name=row["name"],
                active=row["active_status"] == "active",
                dvcs_type=row["dvcs_type"],
                url=row["url"],
                performance_alerts_enabled=row["performance_alerts_enabled"],
                is_try_repo=row["is_try_repo"],
            )
            self._repositories[name] = repo
        return repo

    def clear_caches(self) -> None:
        self.cache.clear()
        self._repositories.clear()

    # --- pushes -------------------------------------------------------------------------------------------------

    def store_pushes(
        self, repository: str, pushes: Sequence[PushDatum], *, first: TransactionStep | None = None
    ) -> dict[str, int]:
        """Store pushes and their commits (existing ones are kept). Returns revision -> push id.

        ``first``, if given, runs first in the same transaction (and may refuse it by raising).
        """
        repo = self.repository(repository)
        with self.db.write() as conn:
            if first is not None:
                first(conn)
            return store_pushes(conn, repo.id, pushes)

    # --- jobs ---------------------------------------------------------------------------------------------------

    def store_jobs(
        self,
        repository: str,
        jobs: Sequence[JobDatum],
        *,
        on_missing_push: str = "raise",
        first: TransactionStep | None = None,
    ) -> StoredJobs:
        """Store a batch of jobs in one transaction.

        ``on_missing_push="raise"`` refuses the whole batch if any job's revision has no push (REST: the client is
        told); ``"skip"`` stores the others and returns the orphans in ``missing_push`` (Pulse: retried later).
        ``first``, if given, runs first in the same transaction (the REST submissions record their Hawk nonce and
        throttle count there) and may refuse it by raising.
        """
        repo = self.repository(repository)
        for attempt in (1, 2):
            staged: dict[str, dict[Any, int]] = {}
            try:
                with self.db.write() as conn:
                    if first is not None:
                        first(conn)
                    self.cache.follow(conn)
                    result = _store_jobs(conn, repo, jobs, self.cache, staged, on_missing_push)
            except IntegrityError:
                # A reference row removed other than by cycle_reference_data (which the cache follows), e.g. by
                # hand, fails a foreign key (SQLite, perf signatures): start over with a cold cache.
                if attempt == 2:
                    raise
                log.warning("reference data changed under the cache; retrying the batch with a cold cache")
                self.cache.clear()
                continue
            self.cache.publish(staged)
            return result
        raise AssertionError("unreachable")


def store_pushes(conn: Connection, repository_id: int, pushes: Sequence[PushDatum]) -> dict[str, int]:
    if not pushes:
        return {}
    conn.execute(
        insert_ignore(conn, t.push, ["repository_id", "revision"]),
        [
            {
                "repository_id": repository_id,
                "revision": p.revision,
                "author": p.author[:150],
                "push_timestamp": p.push_timestamp,
                "branch": p.branch,
            }
            for p in pushes
        ],
    )
    ids: dict[str, int] = {}
    revisions = list({p.revision for p in pushes})
    for chunk in _chunks(revisions):
        rows = conn.execute(_PUSH_IDS_BY_REVISION, {"repository_id": repository_id, "revisions": chunk})
        ids.update((rev, push_id) for rev, push_id in rows)
    commits = [
        {"push_id": ids[p.revision], "revision": c.revision, "author": c.author[:150], "comments": c.comment}
        for p in pushes
        for c in p.commits
    ]
    if commits:
        conn.execute(insert_ignore(conn, t.commit, ["push_id", "revision"]), commits)
    return ids


def _resolve_pushes(conn: Connection, repository_id: int, revisions: set[str]) -> dict[str, int]:
    """revision (full or a 12+ character prefix) -> push id, for the revisions that have a push."""
    found: dict[str, int] = {}
    full = [r for r in revisions if len(r) == 40]
    for chunk in _chunks(full):
        rows = conn.execute(_PUSH_IDS_BY_REVISION, {"repository_id": repository_id, "revisions": chunk})
        found.update((rev, push_id) for rev, push_id in rows)
    for short in (r for r in revisions if len(r) != 40):
        push_id = conn.execute(
            select(t.push.c.id)
            .where(t.push.c.repository_id == repository_id, t.push.c.revision.startswith(short, autoescape=True))
            .order_by(t.push.c.id)
            .limit(1)
        ).scalar()
        if push_id is not None:
            found[short] = push_id
    return found


# Lookups by lists of keys, built once: an `expanding` parameter keeps one compiled statement for any list length,
# where `.in_(values)` builds and coerces a new expression (one bound parameter per value) for every chunk.
_PUSH_IDS_BY_REVISION = select(t.push.c.revision, t.push.c.id).where(
    t.push.c.repository_id == bindparam("repository_id"), t.push.c.revision.in_(bindparam("revisions", expanding=True))
)


@lru_cache(maxsize=None)
def _ids_by_key(table: Table, key_columns: tuple[str, ...]):
    """SELECT id and the key columns of the rows whose key is in the `keys` parameter."""
    cols = [table.c[name] for name in key_columns]
    keys = bindparam("keys", expanding=True)
    where = cols[0].in_(keys) if len(cols) == 1 else tuple_(*cols).in_(keys)
    return select(table.c.id, *cols).where(where)


def _resolve(
    conn: Connection,
    table: Table,
    key_columns: Sequence[str],
    keys: Iterable[tuple],
    cache: RefDataCache,
    staged: dict[str, dict[Any, int]],
    describe: Callable[[tuple], dict[str, Any]] | None = None,
) -> dict[tuple, int]:
    """Ids for natural keys of one reference-data table, creating the missing rows in bulk.

    A missing row is its key columns, or what ``describe(key)`` gives when the table has more columns.
    """
    known = cache.table(table.name)
    mine = staged.setdefault(table.name, {})
    ids = {}
    missing = []
    for key in keys:
        found = known.get(key)
        if found is None:
            found = mine.get(key)
        if found is None:
            missing.append(key)
        else:
            ids[key] = found
    if not missing:
        return ids
    rows = [describe(key) if describe else dict(zip(key_columns, key, strict=True)) for key in missing]
    conn.execute(insert_ignore(conn, table, list(key_columns)), rows)
    statement = _ids_by_key(table, tuple(key_columns))
    single = len(key_columns) == 1
    for chunk in _chunks(missing):
        keys = [key[0] for key in chunk] if single else list(chunk)
        for row in conn.execute(statement, {"keys": keys}):
            key = tuple(row[1:])
            ids[key] = row[0]
            mine[key] = row[0]
    return ids


def _store_jobs(
    conn: Connection,
    repo: Repository,
    jobs: Sequence[JobDatum],
    cache: RefDataCache,
    staged: dict[str, dict[Any, int]],
    on_missing_push: str,
) -> StoredJobs:
    result = StoredJobs()
    if not jobs:
        return result
    pushes = _resolve_pushes(conn, repo.id, {j.revision for j in jobs})
    orphans = [j for j in jobs if j.revision not in pushes]
    if orphans:
        if on_missing_push == "raise":
            raise MissingPushes(repo.name, [j.revision for j in orphans])
        result.missing_push = orphans
        jobs = [j for j in jobs if j.revision in pushes]
        if not jobs:
            return result

    # Several versions of one job in a batch (e.g. pending then completed messages): keep the most advanced one,
    # the later one among equals, since one INSERT cannot touch the same row twice.
    latest: dict[str, JobDatum] = {}
    for datum in jobs:
        held = latest.get(datum.guid)
        if held is None or datum.state_rank >= held.state_rank:
            latest[datum.guid] = datum
    jobs = list(latest.values())

    # Reference data: the natural keys the jobs name, resolved to ids (from the cache, or created in bulk).
    opt_hash: dict[tuple[str, ...], str] = {}
    for j in jobs:
        if j.options not in opt_hash:
            opt_hash[j.options] = option_collection_hash(j.options)
    signature = {j.guid: job_signature(j, repo.name, opt_hash[j.options]) for j in jobs}

    first_job_of: dict[str, JobDatum] = {}
    for j in jobs:
        first_job_of.setdefault(signature[j.guid], j)

    def describe_signature(key: tuple) -> dict[str, Any]:
        j = first_job_of[key[1]]
        return {
            "repository_id": key[0],
            "signature": key[1],
            "name": (j.reference_data_name or key[1])[:255],
            "build_system_type": j.build_system_type,
        }

    def named(key_of: Callable[[JobDatum], tuple]) -> dict[tuple, None]:
        """The distinct keys the batch names, in first-seen order (so new rows get ids in that order)."""
        return dict.fromkeys(map(key_of, jobs))

    options_of = {h: opts for opts, h in opt_hash.items()}
    platform_columns = ("os_name", "platform", "architecture")
    build_ids = _resolve(
        conn, t.build_platform, platform_columns, named(lambda j: _platform_key(j.build_platform)), cache, staged
    )
    machine_platform_ids = _resolve(
        conn, t.machine_platform, platform_columns, named(lambda j: _platform_key(j.machine_platform)), cache, staged
    )
    machine_ids = _resolve(conn, t.machine, ("name",), named(lambda j: (j.machine,)), cache, staged)
    product_ids = _resolve(conn, t.product, ("name",), named(lambda j: (j.product,)), cache, staged)
    groups = named(lambda j: (j.group_name, j.group_symbol))
    group_ids = _resolve(conn, t.job_group, ("name", "symbol"), groups, cache, staged)
    type_ids = _resolve(conn, t.job_type, ("name", "symbol"), named(lambda j: (j.name, j.symbol)), cache, staged)
    option_ids = _resolve(
        conn,
        t.option_collection,
        ("option_collection_hash",),
        [(h,) for h in options_of],
        cache,
        staged,
        lambda key: {"option_collection_hash": key[0], "options": " ".join(options_of[key[0]])},
    )
    signature_ids = _resolve(
        conn,
        t.reference_data_signature,
        ("repository_id", "signature"),
        [(repo.id, sig) for sig in first_job_of],
        cache,
        staged,
        describe_signature,
    )

    _adopt_retried_guids(conn, repo.id, jobs)

    now = _now()
    batch = JobRows(repository_id=repo.id, last_modified=now)
    job_rows, metadata = batch.jobs, batch.metadata
    logs: dict[tuple[str, str, str], int] = {}
    details: dict[tuple[str, str, str], str | None] = {}
    errors: dict[tuple[str, int], str] = {}
    for j in jobs:
        guid = j.guid
        job_rows.append(
            (
                guid,
                pushes[j.revision],
                signature_ids[(repo.id, signature[guid])],
                build_ids[_platform_key(j.build_platform)],
                machine_platform_ids[_platform_key(j.machine_platform)],
                machine_ids[(j.machine,)],
                option_ids[(opt_hash[j.options],)],
                type_ids[(j.name, j.symbol)],
                group_ids[(j.group_name, j.group_symbol)],
                product_ids[(j.product,)],
                j.who,
                j.reason,
                j.result,
                j.state,
                j.state_rank,
                j.tier,
                j.submit_timestamp,
                j.start_timestamp,
                j.end_timestamp,
            )
        )
        if j.task_id is not None and j.retry_id is not None:
            metadata.append((guid, j.task_id, j.retry_id))
        for ref in j.logs:
            logs[(guid, ref.name, ref.url)] = t.LOG_STATUS_CODE[ref.parse_status]
        for d in j.details:
            details[(guid, d.title, d.value)] = d.url
        for e in j.text_log_errors:
            errors[(guid, e.line_number)] = e.line
    batch.logs = [(*key, status) for key, status in logs.items()]
    batch.details = [(*key, url) for key, url in details.items()]
    batch.errors = [(*key, line) for key, line in errors.items()]
    # One upsert that only lets a job move forward (see treeherder.ingest.bulk); its children follow for the jobs
    # it wrote.
    result.job_ids = write_jobs(conn, batch)
    result.skipped = len(jobs) - len(result.job_ids)

    written = [(j, result.job_ids[j.guid]) for j in jobs if j.guid in result.job_ids]
    _mark_superseded(conn, repo.id, written, now)
    result.pending_logs = _pending_logs(conn, written)
    triples = [(j, job_id, pushes[j.revision]) for j, job_id in written]
    for handler in JOB_EXTRAS_HANDLERS:
        result.perf_signature_ids.update(handler(conn, repo, triples))
    return result


def _adopt_retried_guids(conn: Connection, repository_id: int, jobs: Sequence[JobDatum]) -> None:
    """A guid with a `_suffix` is a retry of its root guid: the stored root job takes the new guid (as upstream)."""
    roots = {j.guid.split("_", 1)[0]: j.guid for j in jobs if "_" in j.guid}
    if not roots:
        return
    existing = set(
        conn.execute(select(t.job.c.guid).where(t.job.c.guid.in_(list(roots) + list(roots.values())))).scalars()
    )
    renames = [
        {"old": root, "new": new} for root, new in roots.items() if root in existing and new not in existing
    ]
    if renames:
        conn.execute(
            update(t.job)
            .where(t.job.c.guid == bindparam("old"), t.job.c.repository_id == repository_id)
            .values(guid=bindparam("new"), last_modified=_now()),
            renames,
        )


def _mark_superseded(conn: Connection, repository_id: int, written: list[tuple[JobDatum, int]], now: datetime) -> None:
    marks = [{"old": old, "new": j.guid} for j, _ in written for old in j.superseded if old != j.guid]
    if not marks:
        return
    conn.execute(
        update(t.job)
        .where(t.job.c.guid == bindparam("old"), t.job.c.repository_id == repository_id)
        .values(
            result="superseded",
            state="completed",
            state_rank=3,
            coalesced_to_guid=bindparam("new"),
            last_modified=now,
        ),
        marks,
    )


_PENDING_LOGS_OF_JOBS = select(t.job_log.c.id, t.job_log.c.job_id, t.job_log.c.name).where(
    t.job_log.c.job_id.in_(bindparam("job_ids", expanding=True)),
    t.job_log.c.status == t.LOG_STATUS_CODE["pending"],
    t.job_log.c.name.in_(PARSEABLE_LOG_NAMES) | t.job_log.c.name.like("perfherder%"),
)


def _pending_logs(conn: Connection, written: list[tuple[JobDatum, int]]) -> list[tuple[int, int, str, str]]:
    wanted = {
        job_id: j.result
        for j, job_id in written
        if any(ref.parse_status == "pending" and needs_background_work(ref.name) for ref in j.logs)
    }
    if not wanted:
        return []
    pending = []
    for chunk in _chunks(list(wanted)):
        rows = conn.execute(_PENDING_LOGS_OF_JOBS, {"job_ids": chunk})
        pending.extend((log_id, job_id, name, wanted[job_id]) for log_id, job_id, name in rows if needs_background_work(name))
    return pending
