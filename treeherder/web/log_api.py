"""GET /api/project/{project}/jobs/{job_id}/log/: a job's log text in line ranges, for the log viewer.

Not an upstream endpoint (upstream's viewer downloads the whole log from the CI's artifact store); here the server
fetches the log once with the same safety rules as the log parser and serves slices of it from a disk cache, so a
log of hundreds of thousands of lines opens instantly at any line.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from treeherder.api.deps import ProjectRef, get_db, project_from_path
from treeherder.api.errors import bare, detail
from treeherder.api.params import INT64_MAX, INT64_MIN
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.logs.decompress import CorruptLogError, LogTooLargeError
from treeherder.logs.fetch import LogFetchError, fetch_options_from_settings
from treeherder.web.log_cache import MAX_LOG_TEXT_BYTES, LogCache

router = APIRouter(tags=["log viewer"])

#: Most lines one request returns.
MAX_LINES_PER_REQUEST = 5000
DEFAULT_LINES_PER_REQUEST = 1000
#: The log the viewer opens when none is named: the raw text log, as upstream's viewer.
PREFERRED_LOG_NAMES = ("live_backing_log", "builds-4h")

LOG_LINES_EXAMPLE = {
    "job_id": 5001,
    "log_name": "live_backing_log",
    "url": "https://example.org/logs/live_backing.log",
    "start": 100,
    "end": 102,
    "total_lines": 48211,
    "lines": ["[task 2025-02-13T11:00:27.834Z] 11:00:27     INFO - Buffered messages finished", "..."],
}


async def get_log_cache(request: Request) -> LogCache:
    """The application's log cache (created on first use, under TREEHERDER_DATA_DIR/log-cache)."""
    cache = getattr(request.app.state, "log_cache", None)
    if cache is None:
        settings = request.app.state.settings
        options = dataclasses.replace(fetch_options_from_settings(settings), max_decompressed_bytes=MAX_LOG_TEXT_BYTES)
        cache = request.app.state.log_cache = LogCache(settings.data_dir / "log-cache", options, settings.site_url)
    return cache


def _pick_log(logs: list[Any], name: str | None) -> Any | None:
    if name is not None:
        return next((log for log in logs if log.name == name), None)
    for preferred in PREFERRED_LOG_NAMES:
        for log in logs:
            if log.name == preferred:
                return log
    return logs[0] if logs else None


@router.get(
    "/api/project/{project}/jobs/{job_id}/log/",
    summary="Lines of a job's log",
    description=(
        "Lines `start` (inclusive) to `end` (exclusive) of the job's log, numbered from 0 like the `line_number` of "
        "its error lines. The log is fetched once (same address checks and size limits as the log parser) and "
        f"cached on disk. At most {MAX_LINES_PER_REQUEST} lines per request; `total_lines` tells how many there are."
    ),
    responses={
        200: {"content": {"application/json": {"example": LOG_LINES_EXAMPLE}}},
        404: {"content": {"application/json": {"example": "No job with id: 5001"}}},
        502: {"content": {"application/json": {"example": {"detail": "Could not fetch the log: HTTP 404"}}}},
    },
)
def log_lines(
    job_id: int,
    start: int = Query(0, ge=0, description="First line to return (0-based)."),
    end: int | None = Query(None, ge=0, description=f"Line after the last one to return; default start + {DEFAULT_LINES_PER_REQUEST}."),
    name: str | None = Query(None, description="Name of the log (default: `live_backing_log`, else the first log)."),
    project: ProjectRef = Depends(project_from_path),
    db: Database = Depends(get_db),
    cache: LogCache = Depends(get_log_cache),
) -> ORJSONResponse:
    if not INT64_MIN <= job_id <= INT64_MAX:  # no stored id lies beyond 64 bits (and SQLite cannot compare it)
        raise bare(404, f"No job with id: {job_id}")
    with db.read() as conn:
        found = conn.execute(
            select(t.job.c.id).where(t.job.c.id == job_id, t.job.c.repository_id == project.id)
        ).first()
        if found is None:
            raise bare(404, f"No job with id: {job_id}")
        logs = conn.execute(
            select(t.job_log.c.name, t.job_log.c.url).where(t.job_log.c.job_id == job_id).order_by(t.job_log.c.id)
        ).all()
    log = _pick_log(logs, name)
    if log is None:
        raise detail(404, f"No log named {name} for job {job_id}" if name else f"No log for job {job_id}")
    try:
        cached = cache.get(log.url)
    except LogTooLargeError as exc:
        raise detail(502, f"The log is too large to show: {exc}") from None
    except CorruptLogError as exc:
        raise detail(502, f"The log could not be decompressed: {exc}") from None
    except LogFetchError as exc:
        raise detail(502, f"Could not fetch the log: {exc}") from None
    if end is None:
        end = start + DEFAULT_LINES_PER_REQUEST
    end = min(end, start + MAX_LINES_PER_REQUEST, cached.line_count)
    start = min(start, cached.line_count)
    end = max(end, start)
    return ORJSONResponse(
        {
            "job_id": job_id,
            "log_name": log.name,
            "url": log.url,
            "start": start,
            "end": end,
            "total_lines": cached.line_count,
            "lines": cached.lines(start, end),
        }
    )
