"""Health endpoints for load balancers and operators: /__heartbeat__, /__lbheartbeat__, /__version__."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from treeherder.api.responses import ORJSONResponse
from sqlalchemy.exc import SQLAlchemyError

from treeherder import __version__
from treeherder.api.deps import get_db
from treeherder.db import schema
from treeherder.db.engine import Database

router = APIRouter(tags=["health"])


@router.get("/__lbheartbeat__", summary="The process is up (no dependencies checked)")
def lbheartbeat() -> ORJSONResponse:
    return ORJSONResponse({"status": "ok"})


@router.get(
    "/__heartbeat__",
    summary="The process is up and its database answers with the current schema",
    responses={503: {"content": {"application/json": {"example": {"status": "error", "database": "..."}}}}},
)
def heartbeat(db: Database = Depends(get_db)) -> ORJSONResponse:
    try:
        current = schema.current_revision(db)
    except SQLAlchemyError as exc:
        return ORJSONResponse({"status": "error", "database": str(exc.__class__.__name__)}, status_code=503)
    head = schema.head_revision()
    if current != head:
        return ORJSONResponse({"status": "error", "database": f"schema at {current}, expected {head}"}, status_code=503)
    return ORJSONResponse({"status": "ok", "database": "ok", "schema": current})


@router.get("/__version__", summary="Version of this server")
def version() -> ORJSONResponse:
    return ORJSONResponse({"name": "treeherder", "version": __version__, "schema": schema.head_revision()})
