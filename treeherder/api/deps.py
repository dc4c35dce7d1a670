"""What request handlers need from the application: the database, the settings, the ingestor, a repository.

The dependencies are ``async`` although they do not await anything (but a repository not seen before): FastAPI runs
a plain ``def`` dependency in a worker thread, and a thread hand-off per dependency costs more than a cached read.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from treeherder.api.errors import detail
from treeherder.config import Settings
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.ingest.store import Ingestor


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_ingestor(request: Request) -> Ingestor:
    return request.app.state.ingestor


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: int
    name: str


async def project_from_path(project: str, request: Request) -> ProjectRef:
    """`get_project` as a dependency: inline when the repository is known, in a worker thread when it must be read."""
    found = request.app.state.projects.get(project)
    if found is None:
        found = await run_in_threadpool(get_project, project, request)
    return found


def get_project(project: str, request: Request) -> ProjectRef:
    """The repository named in the path, or 404 with upstream's body."""
    cache: dict[str, ProjectRef] = request.app.state.projects
    found = cache.get(project)
    if found is None:
        with request.app.state.db.read() as conn:
            row = conn.execute(select(t.repository.c.id).where(t.repository.c.name == project)).first()
        if row is None:
            raise detail(404, f"No project with name {project}")
        found = cache[project] = ProjectRef(row[0], project)
    return found
