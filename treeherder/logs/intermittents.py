"""Marking failed test jobs as intermittent from their test-group results (reference LOGS.md §5).

After a structured error summary is stored, runs of the same job type on the same push (and,
outside try, on recent pushes) are compared group by group: a failed job whose every ERROR
group passed in at least half of the runs gets classification 8 ("intermittent needs bugid").
Failed runs that produced no group data at all (infrastructure-style failures) are proposed
for 8 as well, unless most runs failed that way.  A job marked 8 earlier that no longer
qualifies goes back to "new failure not classified" (6, when it has new error lines) or
"not classified" (1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select, update

from treeherder.db import tables as t
from treeherder.logs.errorsummary import GROUP_STATUS_CODES, intermittent_job_type_key

NOT_CLASSIFIED = 1
INTERMITTENT = 4
NEW_FAILURE_NOT_CLASSIFIED = 6
INTERMITTENT_NEEDS_BUGID = 8
#: Only jobs with these classifications and results take part in the comparison.
CONSIDERED_CLASSIFICATIONS = (NOT_CLASSIFIED, INTERMITTENT, NEW_FAILURE_NOT_CLASSIFIED, INTERMITTENT_NEEDS_BUGID)
CONSIDERED_RESULTS = ("success", "testfailed")
#: Pushes this long before the job's push are compared too (outside try).
LOOKBACK_SECONDS = 36 * 3600
#: How many pushes (the job's own included) are compared, per repository.
MAX_PUSHES = {"autoland": 20}
DEFAULT_MAX_PUSHES = 3
ERROR_SUMMARY_LOG_NAME = "errorsummary_json"

_OK = GROUP_STATUS_CODES["OK"]
_ERROR = GROUP_STATUS_CODES["ERROR"]


@dataclass(frozen=True, slots=True)
class _Run:
    job_id: int
    push_id: int
    result: str
    classification: int


def _compared_push_ids(conn: Connection, push_id: int) -> list[int]:
    """The job's push and, outside try, the recent pushes before it, newest first."""
    this = conn.execute(
        select(t.push.c.repository_id, t.push.c.push_timestamp, t.repository.c.name, t.repository.c.is_try_repo)
        .join(t.repository, t.repository.c.id == t.push.c.repository_id)
        .where(t.push.c.id == push_id)
    ).one()
    if this.is_try_repo:
        return [push_id]
    recent = conn.execute(
        select(t.push.c.id)
        .where(
            t.push.c.repository_id == this.repository_id,
            t.push.c.push_timestamp <= this.push_timestamp,
            t.push.c.push_timestamp >= this.push_timestamp - LOOKBACK_SECONDS,
        )
        .order_by(t.push.c.push_timestamp.desc(), t.push.c.id.desc())
        .limit(MAX_PUSHES.get(this.name, DEFAULT_MAX_PUSHES))
    ).scalars()
    ids = list(recent)
    return ids if push_id in ids else [push_id, *ids[:-1]]


def _runs_of_same_type(conn: Connection, push_ids: list[int], type_key: str) -> list[_Run]:
    rows = conn.execute(
        select(t.job.c.id, t.job.c.push_id, t.job.c.result, t.job.c.failure_classification_id, t.job_type.c.name)
        .join(t.job_type, t.job_type.c.id == t.job.c.job_type_id)
        .where(
            t.job.c.push_id.in_(push_ids),
            t.job.c.result.in_(CONSIDERED_RESULTS),
            t.job.c.failure_classification_id.in_(CONSIDERED_CLASSIFICATIONS),
            # Every name with this key contains it; the exact comparison follows in Python.
            t.job_type.c.name.contains(type_key, autoescape=True),
        )
        .order_by(t.job.c.id)
    )
    return [
        _Run(row.id, row.push_id, row.result, row.failure_classification_id)
        for row in rows
        if intermittent_job_type_key(row.name) == type_key
    ]


def _group_results(conn: Connection, job_ids: list[int]) -> dict[int, dict[str, bool]]:
    """job id -> {group name: passed} from the jobs' OK/ERROR group results."""
    rows = conn.execute(
        select(t.job_log.c.job_id, t.test_group.c.name, t.group_status.c.status)
        .select_from(
            t.group_status.join(t.job_log, t.job_log.c.id == t.group_status.c.job_log_id).join(
                t.test_group, t.test_group.c.id == t.group_status.c.group_id
            )
        )
        .where(t.job_log.c.job_id.in_(job_ids), t.group_status.c.status.in_((_OK, _ERROR)))
    )
    results: dict[int, dict[str, bool]] = defaultdict(dict)
    for job_id, group, status in rows:
        # A group run twice in one job fails if either run failed.
        results[job_id][group] = results[job_id].get(group, True) and status == _OK
    return results


def _jobs_with_parsed_summary(conn: Connection, job_ids: list[int]) -> set[int]:
    rows = conn.execute(
        select(t.job_log.c.job_id).where(
            t.job_log.c.job_id.in_(job_ids),
            t.job_log.c.name == ERROR_SUMMARY_LOG_NAME,
            t.job_log.c.status == t.LOG_STATUS_CODE["parsed"],
        )
    )
    return set(rows.scalars())


def _passing_groups(runs: Iterable[_Run], results: dict[int, dict[str, bool]]) -> dict[str, bool]:
    """Per group: did at least half of its results pass?"""
    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for run in runs:
        for group, ok in results.get(run.job_id, {}).items():
            total[group] += 1
            passed[group] += ok
    return {group: passed[group] * 2 >= total[group] for group in total}


def _jobs_with_new_failures(conn: Connection, job_ids: Iterable[int]) -> set[int]:
    ids = list(job_ids)
    if not ids:
        return set()
    rows = conn.execute(
        select(t.text_log_error.c.job_id)
        .where(t.text_log_error.c.job_id.in_(ids), t.text_log_error.c.new_failure.is_(True))
        .distinct()
    )
    return set(rows.scalars())


def mark_intermittents(conn: Connection, job_id: int) -> dict[int, int]:
    """Re-judge the runs of *job_id*'s job type; returns {job id: new classification} for jobs changed."""
    current = conn.execute(
        select(t.job.c.push_id, t.job.c.result, t.job_type.c.name)
        .join(t.job_type, t.job_type.c.id == t.job.c.job_type_id)
        .where(t.job.c.id == job_id)
    ).one()
    push_ids = _compared_push_ids(conn, current.push_id)
    runs = _runs_of_same_type(conn, push_ids, intermittent_job_type_key(current.name))
    if not runs:
        return {}
    results = _group_results(conn, [run.job_id for run in runs])
    on_this_push = [run for run in runs if run.push_id == current.push_id]
    judged_here = _passing_groups(on_this_push, results)
    judged_overall = _passing_groups(runs, results)

    verdicts: dict[int, bool] = {}  # job id -> qualifies as intermittent
    for run in runs:
        failed_groups = [group for group, ok in results.get(run.job_id, {}).items() if not ok]
        if run.result != "testfailed" or not failed_groups:
            continue
        passing = judged_here if run.push_id == current.push_id else judged_overall
        verdicts[run.job_id] = all(passing[group] for group in failed_groups)

    # Failed runs without any group data: infrastructure-style failures.
    infra_push_ids = {current.push_id} if current.result == "testfailed" else set(push_ids)
    summarised = _jobs_with_parsed_summary(conn, [run.job_id for run in runs])
    counted = [run for run in runs if run.push_id in infra_push_ids and run.job_id in summarised]
    infra = [run for run in counted if run.result == "testfailed" and not results.get(run.job_id)]
    mostly_infra = len(infra) * 2 > len(counted)
    for run in infra:
        verdicts[run.job_id] = not mostly_infra

    by_id = {run.job_id: run for run in runs}
    promote = [
        job for job, ok in verdicts.items()
        if ok and by_id[job].classification in (NOT_CLASSIFIED, NEW_FAILURE_NOT_CLASSIFIED)
    ]  # fmt: skip
    demote = [job for job, ok in verdicts.items() if not ok and by_id[job].classification == INTERMITTENT_NEEDS_BUGID]
    changes = dict.fromkeys(promote, INTERMITTENT_NEEDS_BUGID)
    with_new_failures = _jobs_with_new_failures(conn, demote)
    for job in demote:
        changes[job] = NEW_FAILURE_NOT_CLASSIFIED if job in with_new_failures else NOT_CLASSIFIED
    if changes:
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(
            update(t.job)
            .where(t.job.c.id == bindparam("job"))
            .values(failure_classification_id=bindparam("classification"), last_modified=now),
            [{"job": job, "classification": classification} for job, classification in changes.items()],
        )
    return changes
