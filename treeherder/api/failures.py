"""Intermittent-failure statistics: ``/api/failures/``, ``/api/failuresbybug/``, ``/api/failurecount/``.

A failure is a job classified "intermittent" (4) and linked to a bug; its day is the day (UTC) of its push. The
range covers whole days, ``startday`` to ``endday`` inclusive. ``tree`` is a repository name, ``all``, or one of
upstream's repository groups.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from treeherder.api.deps import get_db
from treeherder.api.params import FieldErrors, QueryParam, documented, error_responses, example_response, parse_date
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["intermittent failures"])

INTERMITTENT = 4
DAY = 86400
REPOSITORY_GROUPS: dict[str, tuple[str, ...]] = {
    "trunk": ("mozilla-central", "mozilla-inbound", "autoland"),
    "firefox-releases": ("mozilla-beta", "mozilla-release"),
    "comm-releases": ("comm-beta", "comm-release"),
}
REQUIRED = "This field is required."
BAD_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."

COMMON_PARAMS = [
    QueryParam("startday", "str", "First day (YYYY-MM-DD).", required=True, example="2025-02-01"),
    QueryParam("endday", "str", "Last day, included (YYYY-MM-DD).", required=True, example="2025-02-07"),
    QueryParam("tree", "str", "Repository name, `all`, or `trunk` / `firefox-releases` / `comm-releases`.", required=True,
               example="trunk"),  # fmt: skip
]


class FailureQuery:
    """The validated parameters: the repository ids, the push-time window [start, end) in Unix seconds, the bug."""

    def __init__(self, repository_ids: list[int], first_day: date, last_day: date, bug: int | None) -> None:
        self.repository_ids = repository_ids
        self.first_day = first_day
        self.last_day = last_day
        self.bug = bug
        epoch = date(1970, 1, 1)
        self.start = (first_day - epoch).days * DAY
        self.end = ((last_day - epoch).days + 1) * DAY


def _repository_ids(conn: Connection, tree: str) -> list[int] | None:
    repo = t.repository
    query = select(repo.c.id)
    if tree in REPOSITORY_GROUPS:
        query = query.where(repo.c.name.in_(REPOSITORY_GROUPS[tree]))
    elif tree != "all":
        query = query.where(repo.c.name == tree)
    ids = list(conn.execute(query).scalars())
    if not ids and tree not in REPOSITORY_GROUPS and tree != "all":
        return None
    return ids


def parse_failure_query(request: Request, db: Database, *, bug_required: bool) -> FailureQuery:
    """Validate the parameters, answering 400 with every bad field as upstream's serializer does."""
    params = request.query_params
    errors: dict[str, list[str]] = {}
    days: dict[str, date] = {}
    for name in ("startday", "endday"):
        raw = params.get(name)
        if not raw:
            errors[name] = [REQUIRED]
        elif (day := parse_date(raw)) is None:
            errors[name] = [BAD_DATE]
        else:
            days[name] = day
    bug: int | None = None
    raw_bug = params.get("bug")
    if raw_bug:
        try:
            bug = int(raw_bug)
        except ValueError:
            errors["bug"] = ["A valid integer is required."]
    elif bug_required:
        errors["bug"] = [REQUIRED]
    tree = params.get("tree")
    repository_ids: list[int] | None = []
    if not tree:
        errors["tree"] = [REQUIRED]
    else:
        with db.read() as conn:
            repository_ids = _repository_ids(conn, tree)
        if repository_ids is None:
            errors["tree"] = [f"{tree} does not exist."]
    if errors:
        raise FieldErrors(errors)
    assert repository_ids is not None
    return FailureQuery(repository_ids, days["startday"], days["endday"], bug)


def _intermittent_links(query: FailureQuery):
    """The FROM/WHERE shared by the bug-linked queries: bug links of intermittent jobs pushed in the window."""
    b, j, p = t.bug_job_map, t.job, t.push
    return (
        b.join(j, j.c.id == b.c.job_id).join(p, p.c.id == j.c.push_id),
        (
            j.c.repository_id.in_(query.repository_ids),
            p.c.push_timestamp >= query.start,
            p.c.push_timestamp < query.end,
            j.c.failure_classification_id == INTERMITTENT,
            b.c.bug_id.is_not(None),
        ),
    )


@router.get(
    "/api/failures/",
    summary="Bugs with the most intermittent failures in a date range",
    openapi_extra=documented(COMMON_PARAMS),
    responses={
        200: example_response([{"bug_id": 1234567, "bug_count": 12}]),
        **error_responses((400, {"tree": ["foo does not exist."]}, "bad parameters")),
    },
)
def failures(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    query = parse_failure_query(request, db, bug_required=False)
    joined, where = _intermittent_links(query)
    b = t.bug_job_map
    count = func.count(b.c.job_id)
    with db.read() as conn:
        rows = conn.execute(
            select(b.c.bug_id, count).select_from(joined).where(*where).group_by(b.c.bug_id).order_by(count.desc(), b.c.bug_id)
        ).all()
    return ORJSONResponse([{"bug_id": row[0], "bug_count": row[1]} for row in rows])


def _push_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


@router.get(
    "/api/failuresbybug/",
    summary="The intermittent failures linked to one bug in a date range, newest push first",
    openapi_extra=documented([*COMMON_PARAMS, QueryParam("bug", "int", "Bug number.", required=True)]),
    responses={
        200: example_response(
            [
                {
                    "push_time": "2025-02-27 10:15:30", "platform": "linux64", "revision": "a" * 40,
                    "test_suite": "test-linux64/opt-mochitest-1", "tree": "autoland", "build_type": "opt",
                    "job_id": 5001, "bug_id": 1234567, "machine_name": "i-0abc",
                    "lines": ["TEST-UNEXPECTED-FAIL | a.html | boom"], "task_id": "V3SVuxO8TFy37En_6HcXLs",
                }  # fmt: skip
            ]
        ),
        **error_responses((400, {"bug": ["This field is required."]}, "bad parameters")),
    },
)
def failures_by_bug(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    query = parse_failure_query(request, db, bug_required=True)
    joined, where = _intermittent_links(query)
    b, j, p = t.bug_job_map, t.job, t.push
    joined = (
        joined.join(t.repository, t.repository.c.id == j.c.repository_id)
        .join(t.machine_platform, t.machine_platform.c.id == j.c.machine_platform_id)
        .join(t.job_type, t.job_type.c.id == j.c.job_type_id)
        .join(t.option_collection, t.option_collection.c.id == j.c.option_collection_id)
        .join(t.machine, t.machine.c.id == j.c.machine_id)
        .outerjoin(t.taskcluster_metadata, t.taskcluster_metadata.c.job_id == j.c.id)
    )
    with db.read() as conn:
        rows = conn.execute(
            select(
                p.c.push_timestamp, t.machine_platform.c.platform, p.c.revision, t.job_type.c.name,
                t.repository.c.name, t.option_collection.c.options, j.c.id, b.c.bug_id, t.machine.c.name,
                t.taskcluster_metadata.c.task_id,
            )  # fmt: skip
            .select_from(joined)
            .where(*where, b.c.bug_id == query.bug)
            .order_by(p.c.push_timestamp.desc(), j.c.id.desc())
        ).all()
        lines: dict[int, list[str]] = defaultdict(list)
        job_ids = [row[6] for row in rows]
        for start in range(0, len(job_ids), 500):
            tle = t.text_log_error
            for job_id, line in conn.execute(
                select(tle.c.job_id, tle.c.line)
                .where(tle.c.job_id.in_(job_ids[start : start + 500]))
                .order_by(tle.c.job_id, tle.c.line_number)
            ):
                lines[job_id].append(line)
    return ORJSONResponse(
        [
            {
                "push_time": _push_time(row[0]), "platform": row[1], "revision": row[2], "test_suite": row[3],
                "tree": row[4], "build_type": row[5], "job_id": row[6], "bug_id": row[7], "machine_name": row[8],
                "lines": lines.get(row[6], []), "task_id": row[9],
            }  # fmt: skip
            for row in rows
        ]
    )


def _per_day(conn: Connection, query: Any) -> dict[int, int]:
    return {int(day): count for day, count in conn.execute(query)}


@router.get(
    "/api/failurecount/",
    summary="Per day: pushes (test runs) and intermittent failures (of one bug, or all)",
    openapi_extra=documented([*COMMON_PARAMS, QueryParam("bug", "int", "Only failures linked to this bug.")]),
    responses={
        200: example_response([{"date": "2025-02-27", "test_runs": 40, "failure_count": 3}]),
        **error_responses((400, {"startday": ["This field is required."]}, "bad parameters")),
    },
)
def failure_count(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    query = parse_failure_query(request, db, bug_required=False)
    p, j = t.push, t.job
    # Integer division of Unix seconds gives the UTC day number on both databases.
    push_day = (p.c.push_timestamp // DAY).label("day")
    in_window = (p.c.repository_id.in_(query.repository_ids), p.c.push_timestamp >= query.start, p.c.push_timestamp < query.end)
    with db.read() as conn:
        runs = _per_day(conn, select(push_day, func.count(p.c.id)).where(*in_window).group_by(push_day))
        if query.bug is not None:
            joined, where = _intermittent_links(query)
            failures_query = (
                select(push_day, func.count(t.bug_job_map.c.id))
                .select_from(joined)
                .where(*where, t.bug_job_map.c.bug_id == query.bug)
                .group_by(push_day)
            )
        else:
            failures_query = (
                select(push_day, func.count(j.c.id))
                .select_from(j.join(p, p.c.id == j.c.push_id))
                .where(j.c.repository_id.in_(query.repository_ids), *in_window[1:],
                       j.c.failure_classification_id == INTERMITTENT)  # fmt: skip
                .group_by(push_day)
            )
        fails = _per_day(conn, failures_query)
    epoch = date(1970, 1, 1)
    out = []
    day = query.first_day
    while day <= query.last_day:
        number = (day - epoch).days
        out.append({"date": day.isoformat(), "test_runs": runs.get(number, 0), "failure_count": fails.get(number, 0)})
        day += timedelta(days=1)
    return ORJSONResponse(out)
