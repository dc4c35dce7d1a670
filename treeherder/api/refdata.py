"""Reference data: option collections, failure classifications, machine platforms, users, Taskcluster metadata."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from treeherder.api.deps import get_db
from treeherder.api.errors import detail
from treeherder.api.params import (
    ClassificationIdPath,
    QueryParam,
    documented,
    error_responses,
    example_response,
    parse_int,
    parse_int_list,
)
from treeherder.api.responses import ORJSONResponse
from treeherder.auth.sessions import session_user, set_csrf_cookie
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["reference data"])

# Upstream keeps this classification for old data but never lists it.
HIDDEN_CLASSIFICATION = "intermittent needs filing"


@router.get(
    "/api/optioncollectionhash/",
    summary="Option collections and the options each hash stands for",
    openapi_extra=documented([]),
    responses={
        200: example_response(
            [{"option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e", "options": [{"name": "opt"}]}]
        )
    },
)
def list_option_collections(db: Database = Depends(get_db)) -> ORJSONResponse:
    oc = t.option_collection
    with db.read() as conn:
        rows = conn.execute(select(oc.c.option_collection_hash, oc.c.options).order_by(oc.c.id)).all()
    return ORJSONResponse(
        [{"option_collection_hash": h, "options": [{"name": name} for name in options.split()]} for h, options in rows]
    )


def _classifications():
    fc = t.failure_classification
    return select(fc.c.id, fc.c.name).where(fc.c.name != HIDDEN_CLASSIFICATION).order_by(fc.c.id)


@router.get(
    "/api/failureclassification/",
    summary="Failure classifications",
    openapi_extra=documented([]),
    responses={200: example_response([{"id": 1, "name": "not classified"}, {"id": 2, "name": "fixed by commit"}])},
)
def list_failure_classifications(db: Database = Depends(get_db)) -> ORJSONResponse:
    with db.read() as conn:
        rows = conn.execute(_classifications()).all()
    return ORJSONResponse([{"id": row.id, "name": row.name} for row in rows])


@router.get(
    "/api/failureclassification/{classification_id}/",
    summary="One failure classification",
    openapi_extra=documented([]),
    responses={
        200: example_response({"id": 4, "name": "intermittent"}),
        **error_responses(
            (404, {"detail": "No FailureClassification matches the given query."}, "no such classification")
        ),
    },
)
def get_failure_classification(
    classification_id: ClassificationIdPath, db: Database = Depends(get_db)
) -> ORJSONResponse:
    number = parse_int(classification_id)
    row = None
    if number is not None:
        with db.read() as conn:
            row = conn.execute(_classifications().where(t.failure_classification.c.id == number)).first()
    if row is None:
        raise detail(404, "No FailureClassification matches the given query.")
    return ORJSONResponse({"id": row.id, "name": row.name})


@router.get(
    "/api/machineplatforms/",
    summary="Machine platforms",
    openapi_extra=documented([]),
    responses={200: example_response([{"id": 3, "platform": "linux64"}])},
)
def list_machine_platforms(db: Database = Depends(get_db)) -> ORJSONResponse:
    mp = t.machine_platform
    with db.read() as conn:
        rows = conn.execute(select(mp.c.id, mp.c.platform).order_by(mp.c.id)).all()
    return ORJSONResponse([{"id": row.id, "platform": row.platform} for row in rows])


@router.get(
    "/api/user/",
    summary="The logged-in user (an empty list for anonymous requests)",
    openapi_extra=documented([]),
    responses={
        200: example_response(
            [{"username": "mozilla-ldap/a@b.org", "is_superuser": False, "is_staff": True, "email": "a@b.org"}]
        )
    },
)
def list_users(request: Request) -> ORJSONResponse:
    user = session_user(request)
    if user is None:
        return ORJSONResponse([])
    response = ORJSONResponse([user.as_api()])
    set_csrf_cookie(request, response)  # a page loaded with an older session gets the token it needs for writes
    return response


@router.get(
    "/api/taskclustermetadata/",
    summary="Taskcluster task and run of jobs",
    openapi_extra=documented(
        [QueryParam("job_ids", "int_list", "Comma-separated job ids.", required=True, example="5001,5002")]
    ),
    responses={
        200: example_response([{"job": 5001, "task_id": "V3SVuxO8TFy37En_6HcXLs", "retry_id": 0}]),
        **error_responses((400, {"detail": "job_ids must be a comma-separated list of integers"}, "bad job_ids")),
    },
)
def list_taskcluster_metadata(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    job_ids = parse_int_list(request.query_params.get("job_ids", ""))
    if job_ids is None:
        raise detail(400, "job_ids must be a comma-separated list of integers")
    if not job_ids:
        return ORJSONResponse([])
    tcm = t.taskcluster_metadata
    with db.read() as conn:
        rows = conn.execute(
            select(tcm.c.job_id, tcm.c.task_id, tcm.c.retry_id).where(tcm.c.job_id.in_(job_ids)).order_by(tcm.c.job_id)
        ).all()
    return ORJSONResponse([{"job": row.job_id, "task_id": row.task_id, "retry_id": row.retry_id} for row in rows])
