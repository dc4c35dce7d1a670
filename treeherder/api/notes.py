"""Classification notes and bug-job links: the read endpoints (the write ones need a logged-in user)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from treeherder.api.deps import get_db, get_project
from treeherder.api.errors import bare, detail, message
from treeherder.api.jobquery import job_duration_minutes
from treeherder.api.params import (
    BugJobMapPath,
    NoteIdPath,
    ProjectName,
    QueryParam,
    documented,
    error_responses,
    example_response,
    parse_int,
)
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["classification"])

NOTE_EXAMPLE = {
    "id": 3,
    "job_id": 5001,
    "failure_classification_id": 4,
    "created": "2025-02-27T11:02:41.377000",
    "who": "sheriff@example.org",
    "text": "bug 1234567",
}


def _note_select():
    n = t.job_note
    return select(n.c.id, n.c.job_id, n.c.failure_classification_id, n.c.created, n.c.who, n.c.text).join(
        t.job, t.job.c.id == n.c.job_id
    )


def _note_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "job_id": row.job_id,
        "failure_classification_id": row.failure_classification_id,
        "created": row.created,
        "who": row.who,
        "text": row.text,
    }


@router.get(
    "/api/project/{project}/note/",
    summary="Classification notes of a job, newest first",
    openapi_extra=documented([QueryParam("job_id", "int", "The job.", required=True)]),
    responses={
        200: example_response([NOTE_EXAMPLE]),
        **error_responses(
            (400, {"detail": "The job_id parameter is mandatory for this endpoint"}, "no job_id"),
            (400, {"detail": "The job_id parameter must be an integer"}, "job_id is not an integer"),
            (404, "No job with id: 5001", "no such job in this repository"),
        ),
    },
)
def list_notes(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    raw = request.query_params.get("job_id")
    if not raw:
        raise detail(400, "The job_id parameter is mandatory for this endpoint")
    job_id = parse_int(raw)
    if job_id is None:
        raise detail(400, "The job_id parameter must be an integer")
    n = t.job_note
    with db.read() as conn:
        found = conn.execute(select(t.job.c.id).where(t.job.c.id == job_id, t.job.c.repository_id == repo.id)).scalar()
        if found is None:
            raise bare(404, f"No job with id: {job_id}")
        rows = conn.execute(
            _note_select().where(n.c.job_id == job_id).order_by(n.c.created.desc(), n.c.id.desc())
        ).all()
    return ORJSONResponse([_note_json(row) for row in rows])


@router.get(
    "/api/project/{project}/note/push_notes/",
    summary="Classification notes of every job of a push",
    openapi_extra=documented([QueryParam("revision", "str", "The push tip revision.", required=True)]),
    responses={
        200: example_response(
            [
                {
                    "id": 3,
                    "job": {
                        "task_id": "XVK8G39_T0qaHgtsHB4_QA",
                        "job_type_name": "test-linux64/opt-mochitest-1",
                        "result": "testfailed",
                        "duration": 5,
                    },  # fmt: skip
                    "failure_classification_name": "intermittent",
                    "created": "2025-02-27T11:02:41.377000",
                    "who": "sheriff@example.org",
                    "text": "bug 1234567",
                }
            ]
        ),
        **error_responses(
            (400, {"detail": "The revision parameter is mandatory for this endpoint"}, "no revision"),
            (404, "No push with revision: abc", "no such push in this repository"),
        ),
    },
)
def push_notes(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    revision = request.query_params.get("revision")
    if not revision:
        raise detail(400, "The revision parameter is mandatory for this endpoint")
    n, j, p = t.job_note, t.job, t.push
    with db.read() as conn:
        push_id = conn.execute(select(p.c.id).where(p.c.repository_id == repo.id, p.c.revision == revision)).scalar()
        if push_id is None:
            raise bare(404, f"No push with revision: {revision}")
        rows = conn.execute(
            select(
                n.c.id,
                t.taskcluster_metadata.c.task_id,
                t.job_type.c.name,
                j.c.result,
                j.c.submit_timestamp,
                j.c.start_timestamp,
                j.c.end_timestamp,
                t.failure_classification.c.name,
                n.c.created,
                n.c.who,
                n.c.text,
            )  # fmt: skip
            .select_from(
                n.join(j, j.c.id == n.c.job_id)
                .join(t.job_type, t.job_type.c.id == j.c.job_type_id)
                .join(t.failure_classification, t.failure_classification.c.id == n.c.failure_classification_id)
                .outerjoin(t.taskcluster_metadata, t.taskcluster_metadata.c.job_id == j.c.id)
            )
            .where(j.c.push_id == push_id)
            .order_by(n.c.id)
        ).all()
    return ORJSONResponse(
        [
            {
                "id": row[0],
                "job": {
                    "task_id": row[1],
                    "job_type_name": row[2],
                    "result": row[3],
                    "duration": job_duration_minutes(row[4], row[5], row[6]),
                },
                "failure_classification_name": row[7],
                "created": row[8],
                "who": row[9],
                "text": row[10],
            }
            for row in rows
        ]
    )


@router.get(
    "/api/project/{project}/note/{note_id}/",
    summary="One classification note",
    openapi_extra=documented([]),
    responses={200: example_response(NOTE_EXAMPLE), **error_responses((404, "No note with id: 3", "no such note"))},
)
def get_note(
    project: ProjectName, note_id: NoteIdPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    number = parse_int(note_id)
    row = None
    if number is not None:
        with db.read() as conn:
            row = conn.execute(
                _note_select().where(t.job_note.c.id == number, t.job.c.repository_id == repo.id)
            ).first()
    if row is None:
        raise bare(404, f"No note with id: {note_id}")
    return ORJSONResponse(_note_json(row))


# --- bug-job map --------------------------------------------------------------------------------------------------

BUG_JOB_MAP_EXAMPLE = {
    "job_id": 5001,
    "bug_id": 1234567,
    "bug_internal_id": 88,
    "created": "2025-02-27T11:02:41.377000",
    "who": "sheriff@example.org",
}


def _bug_map_select():
    b = t.bug_job_map
    return select(b.c.job_id, b.c.bug_id, b.c.internal_bug_id, b.c.created, b.c.who).join(
        t.job, t.job.c.id == b.c.job_id
    )


def _bug_map_json(row: Any) -> dict[str, Any]:
    return {
        "job_id": row.job_id,
        "bug_id": row.bug_id,
        "bug_internal_id": row.internal_bug_id,
        "created": row.created,
        "who": row.who,
    }


@router.get(
    "/api/project/{project}/bug-job-map/",
    summary="Bugs linked to jobs",
    openapi_extra=documented(
        [QueryParam("job_id", "int", "Job id (repeat for several).", required=True, repeatable=True)]
    ),
    responses={
        200: example_response([BUG_JOB_MAP_EXAMPLE]),
        **error_responses(
            (400, {"message": "Valid job_id required"}, "a job_id is not an integer"),
            (400, {"message": "At least one job_id is required"}, "no job_id"),
        ),
    },
)
def list_bug_job_maps(project: ProjectName, request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    repo = get_project(project, request)
    job_ids = [parse_int(raw) for raw in request.query_params.getlist("job_id")]
    if any(job_id is None for job_id in job_ids):
        raise message(400, "Valid job_id required")
    if not job_ids:
        raise message(400, "At least one job_id is required")
    b = t.bug_job_map
    with db.read() as conn:
        rows = conn.execute(
            _bug_map_select().where(b.c.job_id.in_(job_ids), t.job.c.repository_id == repo.id).order_by(b.c.id)
        ).all()
    return ORJSONResponse([_bug_map_json(row) for row in rows])


@router.get(
    "/api/project/{project}/bug-job-map/{job_and_bug}/",
    summary="One job-bug link, addressed as `{job_id}-{bug_id}`",
    openapi_extra=documented([]),
    responses={
        200: example_response(BUG_JOB_MAP_EXAMPLE),
        **error_responses((404, "Object not found", "no such link")),
    },
)
def get_bug_job_map(
    project: ProjectName, job_and_bug: BugJobMapPath, request: Request, db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    job_part, _, bug_part = job_and_bug.partition("-")
    job_id, bug_id = parse_int(job_part), parse_int(bug_part)
    row = None
    if job_id is not None and bug_id is not None:
        b = t.bug_job_map
        with db.read() as conn:
            row = conn.execute(
                _bug_map_select().where(b.c.job_id == job_id, b.c.bug_id == bug_id, t.job.c.repository_id == repo.id)
            ).first()
    if row is None:
        raise bare(404, "Object not found")
    return ORJSONResponse(_bug_map_json(row))
