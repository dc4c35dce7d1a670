"""Jobs: the project jobs list and detail with their sub-resources, the global /api/jobs/, job-log-url, jobdetail.

Write handlers for project ``jobs/`` (REST submission) belong beside these in this router.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, select

from treeherder.api import jobquery
from treeherder.api.cache import cached_json
from treeherder.api.bugsuggestions import error_summary
from treeherder.api.deps import ProjectRef, get_db, get_project
from treeherder.api.errors import bare, detail
from treeherder.api.jobquery import (
    GLOBAL_JOB_PROPERTY_NAMES,
    JOB_FILTER_PARAMS,
    JOB_PROPERTY_NAMES,
    LEGACY_JOB_FILTER_PARAMS,
)
from treeherder.api.params import (
    FieldErrors,
    JobIdPath,
    LogIdPath,
    ProjectName,
    QueryParam,
    documented,
    error_responses,
    example_response,
    parse_int,
    parse_int_list,
)
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["jobs"])

MAX_JOBS_COUNT = 2000
GLOBAL_PAGE_SIZE = 2000
JOB_DETAIL_PAGE_SIZE = 2000
DEFAULT_SIMILAR_JOBS_COUNT = 50


JOB_EXAMPLE: dict[str, Any] = {
    "build_architecture": "x86_64", "build_os": "linux", "build_platform": "linux64", "build_platform_id": 3,
    "build_system_type": "taskcluster", "end_timestamp": 1740652931, "failure_classification_id": 1, "id": 5001,
    "job_group_description": "", "job_group_id": 2, "job_group_name": "Mochitests", "job_group_symbol": "M",
    "job_guid": "5d52bc1b-7f32-4f0a-9a1e-0b6d1c2e3f40/0", "job_type_description": "", "job_type_id": 7,
    "job_type_name": "test-linux64/opt-mochitest-1", "job_type_symbol": "1", "last_modified": "2025-02-27T10:42:11.512000",
    "machine_name": "i-0abc", "machine_platform_architecture": "x86_64", "machine_platform_os": "linux",
    "option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e", "platform": "linux64", "push_id": 1201,
    "reason": "scheduled", "ref_data_name": "test-linux64/opt-mochitest-1", "result": "testfailed", "result_set_id": 1201,
    "signature": "20f8025db58df9ced153cf0d304640b3c99e85be", "start_timestamp": 1740652656, "state": "completed",
    "submit_timestamp": 1740651602, "tier": 1, "who": "dev@example.org", "task_id": "XVK8G39_T0qaHgtsHB4_QA",
    "retry_id": 0, "platform_option": "opt",
}  # fmt: skip

PAGING_PARAMS = [
    QueryParam("offset", "int", "Number of matching jobs to skip (default 0).", example=0),
    QueryParam("count", "int", f"Number of jobs to return (default 10, at most {MAX_JOBS_COUNT}).", example=10),
    QueryParam(
        "return_type", "str", "`dict` (default): one object per job; `list`: arrays in `job_property_names` order."
    ),
]


def _job_id(raw: str) -> int:
    job_id = parse_int(raw)
    if job_id is None or job_id < 0:
        raise bare(404, f"No job with id: {raw}")
    return job_id


def _offset_and_count(params, default_count: int) -> tuple[int, int]:
    offset = parse_int(params.get("offset", "0"))
    count = parse_int(params.get("count", str(default_count)))
    if offset is None or count is None or offset < 0 or count < 0:
        raise bare(400, "Invalid value for offset or count")
    return offset, count


def _list_body(rows: list[tuple], return_type: str) -> dict[str, Any]:
    body: dict[str, Any] = {"results": jobquery.project_rows(rows, return_type)}
    if return_type == "list":
        body["job_property_names"] = JOB_PROPERTY_NAMES
    return body


@router.get(
    "/api/project/{project}/jobs/",
    summary="List the jobs of a repository",
    description=(
        "A slice (`offset`, `count`) of the repository's jobs matching the filters, in ascending id order. "
        "`meta.count` echoes the requested count. Clients page by raising `offset` until a short page comes back."
    ),
    openapi_extra=documented(PAGING_PARAMS, JOB_FILTER_PARAMS, LEGACY_JOB_FILTER_PARAMS),
    responses={
        200: example_response({"results": [JOB_EXAMPLE], "meta": {"repository": "autoland", "offset": 0, "count": 10}}),
        **error_responses(
            (400, "Invalid value for offset or count", "offset or count is not a non-negative integer"),
            (400, {"detail": "Specified count exceeds API MAX_JOBS_COUNT value: 2000"}, "count over the limit"),
            (400, "Invalid date value for `last_modified`: foo", "unparsable last_modified"),
            (400, {"id": ["Enter a number."]}, "a filter value of the wrong type"),
            (404, {"detail": "No project with name foo"}, "unknown repository"),
        ),
    },
)
def list_project_jobs(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    params = jobquery.normalise_legacy_params(request.query_params)
    jobquery.check_last_modified(params)
    offset, count = _offset_and_count(params, 10)
    if count > MAX_JOBS_COUNT:
        raise detail(400, f"Specified count exceeds API MAX_JOBS_COUNT value: {MAX_JOBS_COUNT}")
    repo = get_project(project, request)
    return_type = params.get("return_type", "dict").lower()
    filters = jobquery.job_filter_clauses(params)
    push_ids = jobquery.filtered_push_ids(params)
    # With pushes given, the repository test must not steer the planner to the (repository, id) index, which walks
    # the repository's jobs in id order to find the push's; "+ 0" keeps it off any index.
    in_repository = (t.job.c.repository_id + 0 if push_ids else t.job.c.repository_id) == repo.id
    clauses = [in_repository, *filters]
    stmt = jobquery.project_page_select().where(*clauses)
    reference_rows: jobquery.ReferenceRows = request.app.state.reference_rows

    def build(conn: Connection) -> bytes:
        page = jobquery.id_ordered_page(conn, stmt, clauses, offset, count, joined=False)
        body = _list_body(reference_rows.project_rows(conn, page), return_type)
        body["meta"] = {"repository": project, "offset": offset, "count": count}
        return ORJSONResponse.dump(body)

    version = (lambda conn: jobquery.push_jobs_version(conn, push_ids)) if push_ids else None
    return cached_json(request, db, version, build)


def _job_row(conn: Connection, repo: ProjectRef, job_id: int):
    stmt = jobquery.project_jobs_select().where(t.job.c.id == job_id, t.job.c.repository_id == repo.id)
    jobquery.plan_in_written_order(conn)
    return conn.execute(stmt).first()


def _require_job(conn: Connection, repo: ProjectRef, raw_id: str) -> int:
    job_id = _job_id(raw_id)
    found = conn.execute(select(t.job.c.id).where(t.job.c.id == job_id, t.job.c.repository_id == repo.id)).scalar()
    if found is None:
        raise bare(404, f"No job with id: {raw_id}")
    return job_id


@router.get(
    "/api/project/{project}/jobs/{job_id}/",
    summary="One job, with its logs and Taskcluster metadata",
    responses={
        200: example_response(
            {
                **JOB_EXAMPLE,
                "resource_uri": "/api/project/autoland/jobs/5001/",
                "logs": [{"name": "live_backing_log", "url": "https://example.org/public/logs/live_backing.log"}],
                "taskcluster_metadata": {"task_id": "XVK8G39_T0qaHgtsHB4_QA", "retry_id": 0},
            }
        ),
        **error_responses((404, "No job with id: 5001", "no such job in this repository")),
    },
    openapi_extra=documented([]),
)
def get_job(
    project: ProjectName, job_id: JobIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    number = _job_id(job_id)
    with db.read() as conn:
        row = _job_row(conn, repo, number)
        if row is None:
            raise bare(404, f"No job with id: {job_id}")
        logs = conn.execute(
            select(t.job_log.c.name, t.job_log.c.url).where(t.job_log.c.job_id == number).order_by(t.job_log.c.id)
        ).all()
    body = dict(zip(JOB_PROPERTY_NAMES, row))
    body["resource_uri"] = f"/api/project/{project}/jobs/{number}/"
    body["logs"] = [{"name": name, "url": url} for name, url in logs]
    if not body["platform_option"]:
        del body["platform_option"]
    if body["task_id"] is not None:
        body["taskcluster_metadata"] = {"task_id": body["task_id"], "retry_id": body["retry_id"]}
    return ORJSONResponse(body)


@router.get(
    "/api/project/{project}/jobs/{job_id}/similar_jobs/",
    summary="Other jobs of the same job type in the repository, newest first",
    openapi_extra=documented(
        [
            QueryParam("offset", "int", "Number of similar jobs to skip (default 0)."),
            QueryParam("count", "int", "Number of jobs to return (default 50)."),
            QueryParam("return_type", "str", "`dict` (default) or `list`."),
            QueryParam("nosuccess", "str", "When present (any value), leave out successful jobs."),
        ],
        JOB_FILTER_PARAMS,
    ),
    responses={
        200: example_response({"results": [JOB_EXAMPLE], "meta": {"offset": 0, "count": 50, "repository": "autoland"}}),
        **error_responses(
            (400, "Invalid value for offset or count", "offset or count is not a non-negative integer"),
            (404, "No job with id: 5001", "no such job in this repository"),
        ),
    },
)
def similar_jobs(
    project: ProjectName, job_id: JobIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    params = jobquery.normalise_legacy_params(request.query_params)
    with db.read() as conn:
        number = _require_job(conn, repo, job_id)
        offset, count = _offset_and_count(params, DEFAULT_SIMILAR_JOBS_COUNT)
        return_type = params.get("return_type", "dict").lower()
        job_type_id = conn.execute(select(t.job.c.job_type_id).where(t.job.c.id == number)).scalar_one()
        clauses = jobquery.job_filter_clauses(params)
        if "nosuccess" in params:
            clauses.append(t.job.c.result != "success")
        stmt = (
            jobquery.project_page_select()
            .where(t.job.c.repository_id == repo.id, t.job.c.job_type_id == job_type_id, t.job.c.id != number, *clauses)
            .order_by(t.job.c.push_id.desc(), t.job.c.start_timestamp.desc(), t.job.c.id.desc())
        )
        page = jobquery.fetch_tuples(conn, stmt.offset(offset).limit(count), joined=False) if count else []
        body = _list_body(request.app.state.reference_rows.project_rows(conn, page), return_type)
    body["meta"] = {"offset": offset, "count": count, "repository": project}
    return ORJSONResponse(body)


@router.get(
    "/api/project/{project}/jobs/{job_id}/text_log_errors/",
    summary="The error lines found in the job's log, in id order",
    openapi_extra=documented([]),
    responses={
        200: example_response(
            [
                {
                    "id": 1,
                    "job": 5001,
                    "line": "TEST-UNEXPECTED-FAIL | a.html | boom",
                    "line_number": 101,
                    "new_failure": False,
                }
            ]
        ),
        **error_responses((404, "No job with id: 5001", "no such job in this repository")),
    },
)
def text_log_errors(
    project: ProjectName, job_id: JobIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    tle = t.text_log_error
    with db.read() as conn:
        number = _require_job(conn, repo, job_id)
        rows = conn.execute(
            select(tle.c.id, tle.c.job_id, tle.c.line, tle.c.line_number, tle.c.new_failure)
            .where(tle.c.job_id == number)
            .order_by(tle.c.id)
        ).all()
    return ORJSONResponse(
        [
            {
                "id": row.id,
                "job": row.job_id,
                "line": row.line,
                "line_number": row.line_number,
                "new_failure": bool(row.new_failure),
            }
            for row in rows
        ]
    )


@router.get(
    "/api/project/{project}/jobs/{job_id}/bug_suggestions/",
    summary="The job's error lines with search terms and matching bugs",
    openapi_extra=documented([]),
    responses={
        200: example_response(
            [
                {
                    "search": "TEST-UNEXPECTED-FAIL | dom/tests/test_a.html | assertion count 2 is more than expected",
                    "search_terms": ["test_a.html"],
                    "path_end": "dom/tests/test_a.html",
                    "bugs": {
                        "open_recent": [
                            {
                                "id": 1234567,
                                "internal_id": 42,
                                "status": "NEW",
                                "resolution": "",
                                "summary": "Intermittent dom/tests/test_a.html | assertion count is more than expected",
                                "dupe_of": None,
                                "crash_signature": "",
                                "keywords": "intermittent-failure",
                                "whiteboard": "",
                                "occurrences": None,
                            }  # fmt: skip
                        ],
                        "all_others": [],
                    },
                    "line_number": 1520,
                    "counter": 3,
                    "failure_new_in_rev": False,
                }
            ]
        ),
        **error_responses((404, "No job with id: 5001", "no such job in this repository")),
    },
)
def bug_suggestions(
    project: ProjectName, job_id: JobIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    with db.read() as conn:
        number = _require_job(conn, repo, job_id)
        return ORJSONResponse(error_summary(conn, number))


# --- the global jobs list -----------------------------------------------------------------------------------------


@router.get(
    "/api/jobs/",
    summary="Jobs of every repository as compact rows, by page",
    description=(
        "Ascending id order. Each row is an array in `job_property_names` order; `duration` is in minutes. "
        "Polling clients combine `push_id__in` with `last_modified__gt`."
    ),
    openapi_extra=documented(
        [
            QueryParam("page", "int", "Page number, from 1 (or `last`)."),
            QueryParam("count", "int", f"Page size (default and maximum {GLOBAL_PAGE_SIZE})."),
        ],
        JOB_FILTER_PARAMS,
    ),
    responses={
        200: example_response(
            {
                "count": 1,
                "next": None,
                "previous": None,
                "results": [
                    [
                        1,
                        5001,
                        "Mochitests",
                        "M",
                        "test-linux64/opt-mochitest-1",
                        "1",
                        "2025-02-27T10:42:11.512000",
                        "linux64",
                        1201,
                        "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                        "testfailed",
                        "20f8025db58df9ced153cf0d304640b3c99e85be",
                        "completed",
                        1,
                        "XVK8G39_T0qaHgtsHB4_QA",
                        0,
                        5,
                        "opt",
                    ]
                ],  # fmt: skip
                "job_property_names": GLOBAL_JOB_PROPERTY_NAMES,
            }
        ),
        **error_responses(
            (404, {"detail": "Invalid page."}, "page out of range or not a number"),
            (400, {"id": ["Enter a number."]}, "a filter value of the wrong type"),
        ),
    },
)
def list_jobs(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    params = request.query_params
    page_size = parse_int(params.get("count", ""))
    if page_size is None or page_size <= 0:
        page_size = GLOBAL_PAGE_SIZE
    page_size = min(page_size, GLOBAL_PAGE_SIZE)
    clauses = jobquery.job_filter_clauses(params)
    with db.read() as conn:
        total = jobquery.count_jobs(conn, clauses)
        pages = max(1, -(-total // page_size))
        raw_page = params.get("page", "1")
        page = pages if raw_page == "last" else parse_int(raw_page)
        if page is None or page < 1 or page > pages:
            raise detail(404, "Invalid page.")
        rows = jobquery.id_ordered_page(
            conn, jobquery.global_jobs_select().where(*clauses), clauses, (page - 1) * page_size, page_size
        )
    url = request.url
    next_url = str(url.include_query_params(page=page + 1)) if page < pages else None
    if page <= 1:
        previous_url = None
    elif page == 2:
        previous_url = str(url.remove_query_params("page"))
    else:
        previous_url = str(url.include_query_params(page=page - 1))
    return ORJSONResponse(
        {
            "count": total,
            "next": next_url,
            "previous": previous_url,
            "results": jobquery.global_rows(rows),
            "job_property_names": GLOBAL_JOB_PROPERTY_NAMES,
        }
    )


# --- job logs -----------------------------------------------------------------------------------------------------

_LOG_EXAMPLE = {
    "id": 9,
    "job_id": 5001,
    "name": "live_backing_log",
    "url": "https://example.org/public/logs/live_backing.log",
    "parse_status": "parsed",
}


def _log_json(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "job_id": row.job_id,
        "name": row.name,
        "url": row.url,
        "parse_status": t.LOG_STATUS[row.status],
    }


def _log_select():
    jl = t.job_log
    return select(jl.c.id, jl.c.job_id, jl.c.name, jl.c.url, jl.c.status).join(t.job, t.job.c.id == jl.c.job_id)


@router.get(
    "/api/project/{project}/job-log-url/",
    summary="The logs of one or more jobs, with their parse status",
    openapi_extra=documented(
        [QueryParam("job_id", "int", "Job id (repeat for several jobs).", required=True, repeatable=True)]
    ),
    responses={
        200: example_response([_LOG_EXAMPLE]),
        **error_responses(
            (400, {"detail": "The job_id parameter is mandatory for this endpoint"}, "no job_id"),
            (400, {"detail": "The job_id parameter(s) must be integers"}, "a job_id is not an integer"),
        ),
    },
)
def list_job_logs(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    raw_ids = request.query_params.getlist("job_id")
    if not raw_ids:
        raise detail(400, "The job_id parameter is mandatory for this endpoint")
    job_ids = [parse_int(raw) for raw in raw_ids]
    if any(job_id is None for job_id in job_ids):
        raise detail(400, "The job_id parameter(s) must be integers")
    with db.read() as conn:
        rows = conn.execute(
            _log_select()
            .where(t.job_log.c.job_id.in_(job_ids), t.job.c.repository_id == repo.id)
            .order_by(t.job_log.c.id)
        ).all()
    return ORJSONResponse([_log_json(row) for row in rows])


@router.get(
    "/api/project/{project}/job-log-url/{log_id}/",
    summary="One job log",
    openapi_extra=documented([]),
    responses={
        200: example_response(_LOG_EXAMPLE),
        **error_responses((404, {"detail": "No job log with id: 9"}, "no such log in this repository")),
    },
)
def get_job_log(
    project: ProjectName, log_id: LogIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    number = parse_int(log_id)
    row = None
    if number is not None:
        with db.read() as conn:
            row = conn.execute(_log_select().where(t.job_log.c.id == number, t.job.c.repository_id == repo.id)).first()
    if row is None:
        raise detail(404, f"No job log with id: {log_id}")
    return ORJSONResponse(_log_json(row))


# --- job details ("Job Info") -------------------------------------------------------------------------------------

JOB_DETAIL_REQUIRED = ("job_guid", "job__guid", "job_id", "job_id__in", "push_id")


def _cursor(position: int, reverse: bool) -> str:
    raw = f"r=1&p={position}" if reverse else f"p={position}"
    return base64.b64encode(raw.encode()).decode()


def _read_cursor(value: str) -> tuple[int, bool] | None:
    try:
        fields = dict(part.split("=", 1) for part in base64.b64decode(value, validate=True).decode().split("&"))
        return int(fields["p"]), fields.get("r") == "1"
    except (ValueError, KeyError, UnicodeDecodeError):
        return None


@router.get(
    "/api/jobdetail/",
    summary="Job Info items of jobs (cursor pages of 2,000)",
    description="One of `job_guid`, `job__guid`, `job_id`, `job_id__in` or `push_id` is required.",
    openapi_extra=documented(
        [
            QueryParam("job_guid", "str", "Items of the job with this guid."),
            QueryParam("job__guid", "str", "Same as `job_guid` (older clients)."),
            QueryParam("job_id", "int", "Items of this job."),
            QueryParam("job_id__in", "int_list", "Items of these jobs (comma-separated ids)."),
            QueryParam("push_id", "int", "Items of the jobs of this push."),
            QueryParam("title", "str", "Only items with this title."),
            QueryParam("value", "str", "Only items with this value."),
            QueryParam("repository", "str", "Only jobs of this repository (name)."),
            QueryParam("cursor", "str", "Opaque position from `next` or `previous`."),
        ]
    ),
    responses={
        200: example_response(
            {
                "next": None,
                "previous": None,
                "results": [
                    {
                        "job_id": 5001,
                        "job_guid": "5d52bc1b-7f32-4f0a-9a1e-0b6d1c2e3f40/0",
                        "title": "CPU usage",
                        "value": "87%",
                        "url": None,
                    }
                ],  # fmt: skip
            }
        ),
        **error_responses(
            (
                400,
                {"detail": "Must filter on one of: job_guid, job__guid, job_id, job_id__in, push_id"},
                "no job filter",
            ),
            (400, {"detail": "Invalid filter on empty value: "}, "the job filter is empty"),
            (400, {"job_id": ["Enter a number."]}, "a filter value of the wrong type"),
            (404, {"detail": "Invalid cursor"}, "a cursor this server did not issue"),
        ),
    },
)
def list_job_details(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    params = request.query_params
    given = [key for key in JOB_DETAIL_REQUIRED if key in params]
    if not given:
        raise detail(400, "Must filter on one of: " + ", ".join(JOB_DETAIL_REQUIRED))
    if not any(params[key].strip() for key in given):
        raise detail(400, "Invalid filter on empty value: ")
    jd, job = t.job_detail, t.job
    clauses = []
    errors: dict[str, list[str]] = {}
    for key in ("job_id", "push_id"):
        if params.get(key, "").strip():
            number = parse_int(params[key])
            if number is None:
                errors[key] = ["Enter a number."]
            else:
                clauses.append((jd.c.job_id if key == "job_id" else job.c.push_id) == number)
    if params.get("job_id__in", "").strip():
        ids = parse_int_list(params["job_id__in"])
        if ids is None:
            errors["job_id__in"] = ["Enter a number."]
        else:
            clauses.append(jd.c.job_id.in_(ids))
    for key in ("job_guid", "job__guid"):
        if params.get(key):
            clauses.append(job.c.guid == params[key])
    for key in ("title", "value"):
        if key in params and params[key] != "":
            clauses.append(jd.c[key] == params[key])
    if params.get("repository"):
        clauses.append(
            job.c.repository_id.in_(select(t.repository.c.id).where(t.repository.c.name == params["repository"]))
        )
    if errors:
        raise FieldErrors(errors)
    position: tuple[int, bool] | None = None
    if params.get("cursor"):
        position = _read_cursor(params["cursor"])
        if position is None:
            raise detail(404, "Invalid cursor")
    stmt = (
        select(jd.c.id, jd.c.job_id, job.c.guid, jd.c.title, jd.c.value, jd.c.url)
        .join(job, job.c.id == jd.c.job_id)
        .where(*clauses)
    )
    reverse = bool(position and position[1])
    if position is not None:
        stmt = stmt.where(jd.c.id < position[0] if reverse else jd.c.id > position[0])
    stmt = stmt.order_by(jd.c.id.desc() if reverse else jd.c.id).limit(JOB_DETAIL_PAGE_SIZE + 1)
    with db.read() as conn:
        rows = conn.execute(stmt).all()
    more = len(rows) > JOB_DETAIL_PAGE_SIZE
    rows = rows[:JOB_DETAIL_PAGE_SIZE]
    if reverse:
        rows.reverse()
    url = request.url
    next_url = previous_url = None
    if rows:
        if more or reverse:
            next_url = str(url.include_query_params(cursor=_cursor(rows[-1].id, False)))
        if (more and reverse) or (position is not None and not reverse):
            previous_url = str(url.include_query_params(cursor=_cursor(rows[0].id, True)))
    results = [
        {"job_id": row.job_id, "job_guid": row.guid, "title": row.title or None, "value": row.value, "url": row.url}
        for row in rows
    ]
    return ORJSONResponse({"next": next_url, "previous": previous_url, "results": results})
