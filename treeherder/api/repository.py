"""Repositories: GET /api/repository/ and /api/repository/{id}/ (active repositories only, as upstream)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from treeherder.api.responses import ORJSONResponse
from sqlalchemy import select

from treeherder.api.deps import get_db
from treeherder.api.errors import detail
from treeherder.api.params import INT64_MAX, INT64_MIN
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["reference data"])

REPOSITORY_EXAMPLE = {
    "id": 77,
    "repository_group": {"name": "development", "description": "Collection of repositories where code initially lands"},
    "name": "autoland",
    "dvcs_type": "hg",
    "url": "https://hg.mozilla.org/integration/autoland",
    "codebase": "gecko",
    "description": "",
    "active_status": "active",
    "life_cycle_order": 9,
    "performance_alerts_enabled": True,
    "expire_performance_data": False,
    "is_try_repo": False,
    "tc_root_url": "https://firefox-ci-tc.services.mozilla.com",
    "accepts_pull_requests": False,
}

_COLUMNS = (
    "id", "name", "dvcs_type", "url", "codebase", "description", "active_status", "life_cycle_order",
    "performance_alerts_enabled", "expire_performance_data", "is_try_repo", "tc_root_url", "accepts_pull_requests",
)  # fmt: skip


def _select():
    r, g = t.repository, t.repository_group
    return (
        select(*(r.c[name] for name in _COLUMNS), g.c.name.label("group_name"), g.c.description.label("group_desc"))
        .join(g, g.c.id == r.c.repository_group_id)
        .where(r.c.active_status == "active")
        .order_by(r.c.id)
    )


def _as_json(row: Any) -> dict[str, Any]:
    out = {"id": row.id, "repository_group": {"name": row.group_name, "description": row.group_desc}}
    out.update((name, getattr(row, name)) for name in _COLUMNS[1:])
    return out


@router.get(
    "/api/repository/",
    summary="List active repositories",
    responses={200: {"content": {"application/json": {"example": [REPOSITORY_EXAMPLE]}}}},
)
def list_repositories(db: Database = Depends(get_db)) -> ORJSONResponse:
    with db.read() as conn:
        rows = conn.execute(_select()).all()
    return ORJSONResponse([_as_json(row) for row in rows])


@router.get(
    "/api/repository/{repository_id}/",
    summary="One active repository",
    responses={
        200: {"content": {"application/json": {"example": REPOSITORY_EXAMPLE}}},
        404: {"content": {"application/json": {"example": {"detail": "No Repository matches the given query."}}}},
    },
)
def get_repository(repository_id: int, db: Database = Depends(get_db)) -> ORJSONResponse:
    if not INT64_MIN <= repository_id <= INT64_MAX:
        raise detail(404, "No Repository matches the given query.")
    with db.read() as conn:
        row = conn.execute(_select().where(t.repository.c.id == repository_id)).first()
    if row is None:
        raise detail(404, "No Repository matches the given query.")
    return ORJSONResponse(_as_json(row))
