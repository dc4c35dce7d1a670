"""Sheriffing writes: classification notes, bug-job links and batch un-classification (upstream's paths and answers).

Every write acts as a user (the signed-in sheriff, or the owner of the Hawk credential) and records who and when.
A job's ``failure_classification_id`` always follows its newest note (1, "not classified", without notes), and a
job touched here gets a new ``last_modified`` so that polling pages see the change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from treeherder.api.deps import get_db, get_project
from treeherder.api.errors import bare, detail
from treeherder.api.params import BugJobMapPath, NoteIdPath, ProjectName, documented, error_responses, example_response
from treeherder.api.responses import ORJSONResponse
from treeherder.api.submit import read_json_body
from treeherder.auth.sessions import require_sheriff, require_staff
from treeherder.auth.users import User
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import insert_ignore

router = APIRouter(tags=["sheriffing"])

NOT_CLASSIFIED = 1
WRITE_REFUSALS = (
    (403, {"detail": "Authentication credentials were not provided."}, "anonymous"),
    (403, {"detail": "You do not have permission to perform this action."}, "not a sheriff, or an ownerless credential"),
    (403, {"detail": "CSRF Failed: CSRF token missing."}, "session write without X-CSRFToken"),
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _positive_int(value: Any) -> int | None:
    """An id from a JSON body: an integer, or a string of digits (upstream's serializers accept both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


async def _body(request: Request) -> Any:
    return await read_json_body(request, request.app.state.settings.max_json_depth)


def _job_in_repository(conn: Connection, job_id: int, repository_id: int) -> bool:
    return conn.execute(select(t.job.c.id).where(t.job.c.id == job_id, t.job.c.repository_id == repository_id)).first() is not None


def refresh_classification(conn: Connection, job_ids: list[int]) -> None:
    """Set each job's classification to that of its newest note (1 without notes) and touch last_modified."""
    n = t.job_note
    newest = (
        select(n.c.failure_classification_id)
        .where(n.c.job_id == t.job.c.id)
        .order_by(n.c.created.desc(), n.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    conn.execute(
        update(t.job)
        .where(t.job.c.id.in_(job_ids))
        .values(failure_classification_id=func.coalesce(newest, NOT_CLASSIFIED), last_modified=_now())
    )


# --- notes --------------------------------------------------------------------------------------------------------


def _store_note(db: Database, repository_id: int, job_id: int, classification_id: int, text: str, user: User) -> None:
    with db.write() as conn:
        if not _job_in_repository(conn, job_id, repository_id):
            raise bare(404, f"No job with id: {job_id}")
        known = conn.execute(
            select(t.failure_classification.c.id).where(t.failure_classification.c.id == classification_id)
        ).first()
        if known is None:
            raise detail(400, f"No failure classification with id: {classification_id}")
        conn.execute(
            t.job_note.insert().values(
                job_id=job_id, failure_classification_id=classification_id, user_id=user.id, who=user.email,
                text=text, created=_now(),
            )  # fmt: skip
        )
        refresh_classification(conn, [job_id])


@router.post(
    "/api/project/{project}/note/",
    summary="Classify a job: store a note with a failure classification (the job takes the newest note's class)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"message": "note stored for job 5001"}),
        **error_responses(
            (400, {"detail": "job_id and failure_classification_id are required"}, "missing or non-integer ids"),
            (404, "No job with id: 5001", "no such job in this repository"),
            *WRITE_REFUSALS,
        ),
    },
)
async def create_note(
    project: ProjectName, request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise detail(400, "job_id and failure_classification_id are required")
    job_id = _positive_int(body.get("job_id"))
    classification_id = _positive_int(body.get("failure_classification_id"))
    if job_id is None or classification_id is None:
        raise detail(400, "job_id and failure_classification_id are required")
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise detail(400, "text must be a string")
    await run_in_threadpool(_store_note, db, repo.id, job_id, classification_id, text, user)
    return ORJSONResponse({"message": f"note stored for job {job_id}"})


def _delete_note(db: Database, repository_id: int, note_id: int) -> bool:
    n = t.job_note
    with db.write() as conn:
        job_id = conn.execute(
            select(n.c.job_id).join(t.job, t.job.c.id == n.c.job_id).where(n.c.id == note_id, t.job.c.repository_id == repository_id)
        ).scalar()
        if job_id is None:
            return False
        conn.execute(delete(n).where(n.c.id == note_id))
        refresh_classification(conn, [job_id])
    return True


@router.delete(
    "/api/project/{project}/note/{note_id}/",
    summary="Delete a note; the job reverts to the classification of its newest remaining note (or not classified)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"message": "Note deleted"}),
        **error_responses((404, "No note with id: 3", "no such note"), *WRITE_REFUSALS),
    },
)
async def delete_note(
    project: ProjectName, note_id: NoteIdPath, request: Request, user: User = Depends(require_sheriff),
    db: Database = Depends(get_db),
) -> ORJSONResponse:  # fmt: skip
    repo = get_project(project, request)
    number = _positive_int(note_id)
    if number is None or not await run_in_threadpool(_delete_note, db, repo.id, number):
        raise bare(404, f"No note with id: {note_id}")
    return ORJSONResponse({"message": "Note deleted"})


# --- bug-job map --------------------------------------------------------------------------------------------------


def _store_bug_job_map(
    db: Database, repository_id: int, job_id: int, bug_id: int | None, internal_id: int | None, user: User
) -> bool:
    """Link a job to a bug; False when the link already existed."""
    with db.write() as conn:
        if not _job_in_repository(conn, job_id, repository_id):
            raise bare(404, f"No job with id: {job_id}")
        if internal_id is not None:
            bugzilla_id = conn.execute(select(t.bugscache.c.bugzilla_id).where(t.bugscache.c.id == internal_id)).first()
            if bugzilla_id is None:
                raise bare(404, f"No bug with internal id: {internal_id}")
            bug_id = bug_id if bug_id is not None else bugzilla_id[0]
        elif bug_id is not None:
            internal_id = conn.execute(select(t.bugscache.c.id).where(t.bugscache.c.bugzilla_id == bug_id)).scalar()
        b = t.bug_job_map
        same_bug = b.c.bug_id == bug_id if bug_id is not None else b.c.internal_bug_id == internal_id
        if conn.execute(select(b.c.id).where(b.c.job_id == job_id, same_bug)).first() is not None:
            return False
        values = {"job_id": job_id, "bug_id": bug_id, "internal_bug_id": internal_id, "user_id": user.id,
                  "who": user.email, "created": _now()}  # fmt: skip
        # Two sheriffs linking the same bug at once: the second insert is ignored rather than failing.
        conn.execute(insert_ignore(conn, b, ("job_id", "bug_id")), values)
        conn.execute(update(t.job).where(t.job.c.id == job_id).values(last_modified=_now()))
        return True


@router.post(
    "/api/project/{project}/bug-job-map/",
    summary="Link a job to a bug (an existing link is not an error)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"message": "Bug job map saved"}),
        **error_responses(
            (400, "At least one of bug_id or internal_id is required", "neither given"),
            (404, "No job with id: 5001", "no such job in this repository"),
            *WRITE_REFUSALS,
        ),
    },
)
async def create_bug_job_map(
    project: ProjectName, request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise detail(400, "job_id is required")
    job_id = _positive_int(body.get("job_id"))
    if job_id is None:
        raise detail(400, "job_id is required")
    bug_id = _positive_int(body.get("bug_id")) if body.get("bug_id") is not None else None
    internal_id = _positive_int(body.get("internal_id")) if body.get("internal_id") is not None else None
    if bug_id is None and internal_id is None:
        raise bare(400, "At least one of bug_id or internal_id is required")
    saved = await run_in_threadpool(_store_bug_job_map, db, repo.id, job_id, bug_id, internal_id, user)
    return ORJSONResponse({"message": "Bug job map saved" if saved else "Bug job map skipped: mapping already exists"})


def _delete_bug_job_map(db: Database, repository_id: int, job_id: int, bug_id: int | None, internal_id: int | None) -> None:
    b = t.bug_job_map
    with db.write() as conn:
        if not _job_in_repository(conn, job_id, repository_id):
            return
        match = b.c.bug_id == bug_id if bug_id is not None else b.c.internal_bug_id == internal_id
        if conn.execute(delete(b).where(b.c.job_id == job_id, match)).rowcount:
            conn.execute(update(t.job).where(t.job.c.id == job_id).values(last_modified=_now()))


@router.delete(
    "/api/project/{project}/bug-job-map/{job_and_bug}/",
    summary="Remove a job-bug link, addressed as `{job_id}-{bug_id}` or `{job_id}-i{internal_id}`",
    openapi_extra=documented([]),
    responses={
        200: example_response({"message": "Bug job map deleted"}),
        **error_responses((404, "Object not found", "malformed address"), *WRITE_REFUSALS),
    },
)
async def delete_bug_job_map(
    project: ProjectName, job_and_bug: BugJobMapPath, request: Request, user: User = Depends(require_sheriff),
    db: Database = Depends(get_db),
) -> ORJSONResponse:  # fmt: skip
    repo = get_project(project, request)
    job_part, _, bug_part = job_and_bug.partition("-")
    job_id = _positive_int(job_part)
    internal = bug_part.startswith("i")
    number = _positive_int(bug_part[1:] if internal else bug_part)
    if job_id is None or number is None:
        raise bare(404, "Object not found")
    await run_in_threadpool(
        _delete_bug_job_map, db, repo.id, job_id, None if internal else number, number if internal else None
    )
    return ORJSONResponse({"message": "Bug job map deleted"})


# --- batch un-classification --------------------------------------------------------------------------------------


def _clear_classifications(db: Database, repository_id: int, job_ids: list[int]) -> None:
    with db.write() as conn:
        ids = conn.execute(
            select(t.job.c.id).where(t.job.c.id.in_(job_ids), t.job.c.repository_id == repository_id)
        ).scalars().all()
        if not ids:
            return
        conn.execute(delete(t.job_note).where(t.job_note.c.job_id.in_(ids)))
        conn.execute(delete(t.bug_job_map).where(t.bug_job_map.c.job_id.in_(ids)))
        refresh_classification(conn, list(ids))


@router.delete(
    "/api/project/{project}/classification/",
    summary="Remove the notes and bug links of several jobs (body `[{\"id\": 5001}, ...]`); they become not classified",
    openapi_extra=documented([]),
    responses={
        200: example_response({"message": "Notes and bug classifications deleted"}),
        **error_responses(
            (404, "Must provide job IDs", "empty or malformed body"),
            (403, "Must be staff or in sheriffing group", "not a sheriff"),
        ),
    },
)
async def delete_classifications(
    project: ProjectName, request: Request, user: User = Depends(require_staff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    repo = get_project(project, request)
    body = await _body(request)
    job_ids = [_positive_int(item.get("id")) for item in body if isinstance(item, dict)] if isinstance(body, list) else []
    job_ids = [job_id for job_id in job_ids if job_id is not None]
    if not job_ids:
        raise bare(404, "Must provide job IDs")
    await run_in_threadpool(_clear_classifications, db, repo.id, job_ids)
    return ORJSONResponse({"message": "Notes and bug classifications deleted"})
