"""Pushes: the list with every upstream filter, detail, status and the push-health views.

``resultset/`` is served as an alias of ``push/`` for older clients. Write handlers for ``push/`` belong beside these
in this router.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import ColumnElement, Connection, exists, func, or_, select

from treeherder.api import pushhealth, pushquery
from treeherder.api.cache import cached_json
from treeherder.api.deps import ProjectRef, get_db, get_project
from treeherder.api.errors import bare, detail
from treeherder.api.params import (
    ProjectName,
    PushIdPath,
    QueryParam,
    documented,
    error_responses,
    example_response,
    parse_date,
    parse_int,
    parse_timestamp,
    to_unix,
)
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["pushes"])

MAX_PUSH_COUNT = 1000
SEARCH_LIMIT = 200
DECISION_TASK_NAMES = ("Gecko Decision Task", "Decision Task")
# group_status.status of a test group that passed (upstream's code).
GROUP_OK = 1
# Query parameters that upstream moves from filter_params into meta when given.
META_PARAMS = ("fromchange", "tochange", "startdate", "enddate", "revision", "commit_revision")

PUSH_EXAMPLE: dict[str, Any] = {
    "id": 1201,
    "revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "author": "dev@example.org",
    "branch": None,
    "revisions": [
        {
            "result_set_id": 1201,
            "repository_id": 77,
            "revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
            "author": "Dev <dev@example.org>",
            "comments": "Bug 1 - fix it r=me",
        }
    ],
    "revision_count": 1,
    "push_timestamp": 1740660946,
    "repository_id": 77,
}

PUSH_LIST_PARAMS = [
    QueryParam("count", "int", f"Number of pushes (default 10, 1 to {MAX_PUSH_COUNT}).", example=10),
    QueryParam("revision", "str", "Push tip revision: exact when 40 characters, prefix otherwise."),
    QueryParam("commit_revision", "str", "Pushes containing this commit (exact revision)."),
    QueryParam("fromchange", "str", "Pushes at or after the push whose tip revision starts with this value."),
    QueryParam("tochange", "str", "Pushes at or before the push whose tip revision starts with this value."),
    QueryParam("startdate", "date", "Pushes at or after this day (`YYYY-MM-DD`, 00:00 UTC)."),
    QueryParam("enddate", "date", "Pushes up to the end of this day (`YYYY-MM-DD`, inclusive)."),
    *(
        QueryParam(f"push_timestamp__{op}", "float", f"Pushes whose Unix push time is {word} this value.")
        for op, word in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">="))
    ),
    QueryParam("id", "int", "Push id (0 is ignored)."),
    *(
        QueryParam(f"id__{op}", "int", f"Pushes whose id is {word} this value (0 is ignored).")
        for op, word in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">="))
    ),
    QueryParam("id__in", "int_list", "Pushes with these ids (comma-separated)."),
    QueryParam("author", "str", "Pushes by this author (case-insensitive); a leading `-` excludes the author instead."),
    QueryParam("author_contains", "str", "Pushes whose author contains this text (case-insensitive)."),
    QueryParam("search", "str", "Free text over commit messages, author and revision (at most 200 pushes)."),
    QueryParam("hide_reviewbot_pushes", "bool", "`true` leaves out pushes by `reviewbot`."),
    QueryParam("all_repos", "str", "When given, pushes of every repository (`meta.repository` is `all`)."),
    QueryParam("full", "bool", "Accepted and ignored (pushes always carry their revisions)."),
]

_ID_OPS = {
    "id": lambda col, v: col == v,
    "id__lt": lambda col, v: col < v,
    "id__lte": lambda col, v: col <= v,
    "id__gt": lambda col, v: col > v,
    "id__gte": lambda col, v: col >= v,
}


def _push_by_revision(conn, repository_id: int, value: str):
    """(id, push_timestamp) of the push whose tip revision is value (a prefix when shorter than 40)."""
    p = t.push
    match = p.c.revision == value if len(value) >= 40 else p.c.revision.startswith(value, autoescape=True)
    return conn.execute(
        select(p.c.id, p.c.push_timestamp).where(p.c.repository_id == repository_id, match).order_by(p.c.id).limit(1)
    ).first()


def _day_start(param: str, value: str) -> int:
    day = parse_date(value)
    if day is None:
        raise detail(400, f"Invalid date value for {param}: {value} (expected YYYY-MM-DD)")
    return to_unix(datetime(day.year, day.month, day.day))


@router.get(
    "/api/project/{project}/push/",
    summary="List pushes, newest first",
    description=(
        "Each push carries at most 20 commits (newest first) in `revisions` and the total in `revision_count`. "
        "`meta.filter_params` echoes the filters applied, including the push-time bounds derived from "
        "`fromchange`, `tochange`, `startdate` and `enddate`."
    ),
    openapi_extra=documented(PUSH_LIST_PARAMS),
    responses={
        200: example_response(
            {
                "meta": {
                    "revision": "4a1b2c3d4e5f",
                    "count": 1,
                    "repository": "autoland",
                    "filter_params": {"revisions_short_revision": "4a1b2c3d4e5f"},
                },
                "results": [PUSH_EXAMPLE],
            }
        ),
        **error_responses(
            (400, {"detail": "Valid count value required"}, "count is not an integer"),
            (400, {"detail": "Specified count exceeds api limit: 1000"}, "count over the limit"),
            (400, {"detail": "count requires a positive integer, not: 0"}, "count below 1"),
            (
                400,
                {"detail": "Invalid timestamp specified for id__lt"},
                "a push_timestamp or id filter is not a number",
            ),
            (400, {"detail": "Invalid id__in specification"}, "id__in is not a list of integers"),
            (400, {"detail": "Invalid date value for startdate: 2025-13-01 (expected YYYY-MM-DD)"}, "a malformed date"),
            (404, {"detail": "No project with name foo"}, "unknown repository"),
            (404, {"detail": "No push with revision: abc"}, "fromchange or tochange names no push"),
        ),
    },
)
def list_pushes(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    query = request.query_params
    filter_params: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for key, value in query.items():
        if key in META_PARAMS:
            if value:
                meta[key] = value
        else:
            filter_params[key] = value
    all_repos = bool(query.get("all_repos"))
    repo = (
        get_project(project, request) if not all_repos or any(k in meta for k in ("fromchange", "tochange")) else None
    )
    p = t.push
    clauses: list[ColumnElement[bool]] = []
    if not all_repos:
        clauses.append(p.c.repository_id == repo.id)

    search = query.get("search")
    if search:
        searched = repo or get_project(project, request)
        has_commit = exists().where(
            t.commit.c.push_id == p.c.id, t.commit.c.comments.icontains(search, autoescape=True)
        )
        clauses.append(p.c.repository_id == searched.id)
        clauses.append(
            or_(
                p.c.revision.icontains(search, autoescape=True),
                p.c.author.icontains(search, autoescape=True),
                has_commit,
            )
        )
    for key, value in meta.items():
        if key in ("fromchange", "tochange"):
            with db.read_statement() as conn:
                found = _push_by_revision(conn, repo.id, value)
            if found is None:
                raise detail(404, f"No push with revision: {value}")
            if key == "fromchange":
                clauses.append(p.c.push_timestamp >= found.push_timestamp)
                filter_params["push_timestamp__gte"] = found.push_timestamp
            else:
                clauses.append(p.c.push_timestamp <= found.push_timestamp)
                filter_params["push_timestamp__lte"] = found.push_timestamp
        elif key == "startdate":
            start = _day_start(key, value)
            clauses.append(p.c.push_timestamp >= start)
            filter_params["push_timestamp__gte"] = start
        elif key == "enddate":
            end = _day_start(key, value) + int(timedelta(days=1).total_seconds())
            clauses.append(p.c.push_timestamp <= end)
            filter_params["push_timestamp__lt"] = end
        elif key == "revision":
            clauses.append(
                p.c.revision == value if len(value) >= 40 else p.c.revision.startswith(value, autoescape=True)
            )
            filter_params["revisions_long_revision" if len(value) == 40 else "revisions_short_revision"] = value
        elif key == "commit_revision":
            clauses.append(p.c.id.in_(select(t.commit.c.push_id).where(t.commit.c.revision == value)))

    for op in ("lt", "lte", "gt", "gte"):
        key = f"push_timestamp__{op}"
        raw = filter_params.get(key)
        if raw in (None, ""):
            continue
        seconds = raw if isinstance(raw, int) else parse_timestamp(raw)
        if seconds is None:
            raise detail(400, f"Invalid timestamp specified for {key}")
        column = p.c.push_timestamp
        clauses.append(
            {"lt": column < seconds, "lte": column <= seconds, "gt": column > seconds, "gte": column >= seconds}[op]
        )

    for key in ("id__lt", "id__lte", "id__gt", "id__gte", "id"):
        raw = filter_params.get(key, "0")
        number = parse_int(raw) if raw != "" else 0
        if number is None:
            raise detail(400, f"Invalid timestamp specified for {key}")
        if number:
            clauses.append(_ID_OPS[key](p.c.id, number))

    if filter_params.get("id__in"):
        ids = [parse_int(item) for item in filter_params["id__in"].split(",")]
        if any(push_id is None for push_id in ids):
            raise detail(400, "Invalid id__in specification")
        clauses.append(p.c.id.in_(ids))

    author = filter_params.get("author")
    if author:
        if author.startswith("-"):
            clauses.append(func.lower(p.c.author) != author[1:].lower())
        else:
            clauses.append(func.lower(p.c.author) == author.lower())
    if filter_params.get("author_contains"):
        clauses.append(p.c.author.icontains(filter_params["author_contains"], autoescape=True))
    if filter_params.get("hide_reviewbot_pushes") == "true":
        clauses.append(p.c.author != "reviewbot")

    count = parse_int(filter_params.get("count", "10"))
    if count is None:
        raise detail(400, "Valid count value required")
    if count > MAX_PUSH_COUNT:
        raise detail(400, f"Specified count exceeds api limit: {MAX_PUSH_COUNT}")
    if count < 1:
        raise detail(400, f"count requires a positive integer, not: {count}")
    limit = min(count, SEARCH_LIMIT) if search else count

    def build(conn: Connection) -> bytes:
        rows = conn.execute(
            pushquery.push_select().where(*clauses).order_by(p.c.push_timestamp.desc(), p.c.id.desc()).limit(limit)
        ).all()
        results = pushquery.push_objects(conn, rows)
        meta["count"] = len(results)
        meta["repository"] = "all" if all_repos else project
        meta["filter_params"] = filter_params
        return ORJSONResponse.dump({"meta": meta, "results": results})

    return cached_json(request, db, pushquery.push_list_version, build)


# --- push health ----------------------------------------------------------------------------------------------------


@router.get(
    "/api/project/{project}/push/health_summary/",
    summary="Failure counts of pushes (by revisions, or by author)",
    description=(
        "Test, build and lint failures of each push. A failed job that has a classification note or a linked bug "
        "counts as classified and is not in the failure counts."
    ),
    openapi_extra=documented(
        [
            QueryParam("revision", "str", "Comma-separated push tip revisions."),
            QueryParam("author", "str", "Pushes by this author (used when `revision` is not given)."),
            QueryParam("count", "int", "With `author`: number of newest pushes (default 10)."),
            QueryParam("all_repos", "str", "With `author`: pushes of every repository."),
            QueryParam("with_history", "str", "When given, each item carries its push object in `history`."),
            QueryParam("with_in_progress_tests", "str", "When given, `testInProgressCount` is computed."),
        ]
    ),
    responses={
        200: example_response(
            [
                {
                    "revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                    "repository": "autoland",
                    "testFailureCount": 1,
                    "testInProgressCount": 0,
                    "buildFailureCount": 0,
                    "buildInProgressCount": 0,
                    "lintFailureCount": 0,
                    "lintingInProgressCount": 0,
                    "needInvestigation": 1,
                    "status": {"completed": 13, "pending": 0, "running": 0, "success": 12, "testfailed": 1},
                    "history": None,
                    "metrics": {
                        "linting": {"name": "Linting", "result": "pass"},
                        "tests": {"name": "Tests", "result": "fail"},
                        "builds": {"name": "Builds", "result": "pass"},
                    },
                }  # fmt: skip
            ]
        ),
        **error_responses(
            (400, {"detail": "Valid count value required"}, "count is not an integer"),
            (400, {"detail": "revision or author is required"}, "neither revision nor author"),
        ),
    },
)
def health_summary(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    query = request.query_params
    all_repos = bool(query.get("all_repos"))
    repo = get_project(project, request)
    p = t.push
    with db.read() as conn:
        if query.get("revision"):
            revisions = [rev for rev in query["revision"].split(",") if rev]
            stmt = pushquery.push_select().where(p.c.repository_id == repo.id, p.c.revision.in_(revisions))
            stmt = stmt.order_by(p.c.push_timestamp.desc(), p.c.id.desc())
        elif query.get("author"):
            count = parse_int(query.get("count", "10"))
            if count is None or count < 1:
                raise detail(400, "Valid count value required")
            stmt = pushquery.push_select().where(p.c.author == query["author"])
            if not all_repos:
                stmt = stmt.where(p.c.repository_id == repo.id)
            stmt = stmt.order_by(p.c.push_timestamp.desc(), p.c.id.desc()).limit(min(count, MAX_PUSH_COUNT))
        else:
            raise detail(400, "revision or author is required")
        rows = conn.execute(stmt).all()
        names = dict(conn.execute(select(t.repository.c.id, t.repository.c.name)).all())
        with_history = bool(query.get("with_history"))
        with_in_progress = bool(query.get("with_in_progress_tests"))
        out = []
        for row in rows:
            health = pushhealth.evaluate(conn, row.id)
            out.append(
                health.summary(
                    revision=row.revision,
                    repository=names[row.repository_id],
                    history=pushquery.push_objects(conn, [row]) if with_history else None,
                    with_in_progress_tests=with_in_progress,
                )
            )
    return ORJSONResponse(out)


@router.get(
    "/api/project/{project}/push/health/",
    summary="Health of one push: its test, build and lint failures and their classification",
    openapi_extra=documented([QueryParam("revision", "str", "The push tip revision (exact).", required=True)]),
    responses={
        200: example_response(pushhealth.HEALTH_EXAMPLE),
        **error_responses((404, "No push with revision: abc", "no such push in this repository")),
    },
)
def push_health(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo: ProjectRef = get_project(project, request)
    revision = request.query_params.get("revision", "")
    p = t.push
    with db.read() as conn:
        row = conn.execute(
            pushquery.push_select().where(p.c.repository_id == repo.id, p.c.revision == revision)
        ).first()
        if row is None:
            raise bare(404, f"No push with revision: {revision}")
        health = pushhealth.evaluate(conn, row.id)
        body = health.detail(conn, row, repository_id=repo.id)
    return ORJSONResponse(body)


@router.get(
    "/api/project/{project}/push/decisiontask/",
    summary="The decision task of each push",
    openapi_extra=documented([QueryParam("push_ids", "int_list", "Comma-separated push ids.", required=True)]),
    responses={
        200: example_response({"1201": {"id": "XVK8G39_T0qaHgtsHB4_QA", "run": "0"}}),
        **error_responses(
            (404, "No decision tasks found for pushes: ['1201']", "none of the pushes has a decision task"),
            (400, {"detail": "push_ids must be a comma-separated list of integers"}, "bad push_ids"),
        ),
    },
)
def decision_tasks(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    raw = [item for item in request.query_params.get("push_ids", "").split(",") if item]
    push_ids = [parse_int(item) for item in raw]
    if any(push_id is None for push_id in push_ids):
        raise detail(400, "push_ids must be a comma-separated list of integers")
    j, jt, tcm = t.job, t.job_type, t.taskcluster_metadata
    with db.read() as conn:
        rows = conn.execute(
            select(j.c.push_id, tcm.c.task_id, tcm.c.retry_id)
            .select_from(j.join(jt, jt.c.id == j.c.job_type_id).join(tcm, tcm.c.job_id == j.c.id))
            .where(j.c.push_id.in_(push_ids), j.c.repository_id == repo.id, jt.c.name.in_(DECISION_TASK_NAMES))
            .order_by(j.c.id)
        ).all()
    if not rows:
        raise bare(404, f"No decision tasks found for pushes: {raw}")
    return ORJSONResponse({str(push_id): {"id": task_id, "run": str(retry_id)} for push_id, task_id, retry_id in rows})


@router.get(
    "/api/project/{project}/push/group_results/",
    summary="Test-group results of the push's tasks (true = the group passed)",
    openapi_extra=documented([QueryParam("revision", "str", "The push tip revision.", required=True)]),
    responses={
        200: example_response(
            {"XVK8G39_T0qaHgtsHB4_QA": {"dom/tests/mochitest.toml": True, "layout/base/tests/mochitest.toml": False}}
        ),
        **error_responses((404, "No push with revision: abc", "no such push in this repository")),
    },
)
def group_results(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    revision = request.query_params.get("revision", "")
    j, jl, gs, tg, tcm = t.job, t.job_log, t.group_status, t.test_group, t.taskcluster_metadata
    with db.read() as conn:
        push_id = conn.execute(
            select(t.push.c.id).where(t.push.c.repository_id == repo.id, t.push.c.revision == revision)
        ).scalar()
        if push_id is None:
            raise bare(404, f"No push with revision: {revision}")
        rows = conn.execute(
            select(tcm.c.task_id, tg.c.name, gs.c.status)
            .select_from(
                gs.join(jl, jl.c.id == gs.c.job_log_id)
                .join(j, j.c.id == jl.c.job_id)
                .join(tcm, tcm.c.job_id == j.c.id)
                .join(tg, tg.c.id == gs.c.group_id)
            )
            .where(j.c.push_id == push_id)
            .order_by(j.c.id, gs.c.id)
        ).all()
    out: dict[str, dict[str, bool]] = {}
    for task_id, group, status in rows:
        out.setdefault(task_id, {})[group] = status == GROUP_OK
    return ORJSONResponse(out)


# --- one push (registered after the fixed paths above, which its {push_id} would otherwise capture) ------


def _push_id(raw: str) -> int:
    number = parse_int(raw)
    if number is None:
        raise bare(404, f"No push with id: {raw}")
    return number


@router.get(
    "/api/project/{project}/push/{push_id}/",
    summary="One push",
    openapi_extra=documented([]),
    responses={
        200: example_response(PUSH_EXAMPLE),
        **error_responses((404, "No push with id: 42", "no such push in this repository")),
    },
)
def get_push(
    project: ProjectName, push_id: PushIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    number = _push_id(push_id)
    with db.read() as conn:
        rows = conn.execute(
            pushquery.push_select().where(t.push.c.id == number, t.push.c.repository_id == repo.id)
        ).all()
        if not rows:
            raise bare(404, f"No push with id: {push_id}")
        return ORJSONResponse(pushquery.push_objects(conn, rows)[0])


@router.get(
    "/api/project/{project}/push/{push_id}/status/",
    summary="Job counts of a push by result (unclassified jobs below tier 3)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"success": 12, "testfailed": 1, "completed": 13, "pending": 0, "running": 2}),
        **error_responses((404, "No push with id: 42", "no such push")),
    },
)
def push_status(
    project: ProjectName, push_id: PushIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    number = _push_id(push_id)
    with db.read() as conn:
        found = conn.execute(
            select(t.push.c.id).where(t.push.c.id == number, t.push.c.repository_id == repo.id)
        ).scalar()
        if found is None:
            raise bare(404, f"No push with id: {push_id}")
        return ORJSONResponse(pushquery.push_status(conn, number))


def _alias_routes() -> None:
    """``resultset/`` (upstream's old name for pushes) serves the same views."""
    for route in list(router.routes):
        path = getattr(route, "path", "")
        if path.endswith(("/push/", "/push/{push_id}/", "/push/{push_id}/status/")):
            router.add_api_route(
                path.replace("/push/", "/resultset/"),
                route.endpoint,
                methods=list(route.methods),
                summary=f"{route.summary} (legacy `resultset` path)",
                openapi_extra=route.openapi_extra,
                responses=route.responses,
                deprecated=True,
                tags=["pushes"],
            )


_alias_routes()
