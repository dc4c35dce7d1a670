"""Submitting data: POST job and push collections (Hawk-authenticated).

``POST /api/project/{project}/jobs/`` takes a job collection exactly as treeherder-client 4.0.0 sends it (a JSON
array of ``{"project", "revision", "superseded", "job": {...}}``); ``POST /api/project/{project}/push/`` takes a
push collection. Both are all-or-nothing: every item is validated first, and if any is invalid (or a job names a
revision the repository has no push for) the answer is 400 listing each problem, and nothing is stored. Re-posting
is harmless: jobs only move forward (pending < running < completed) and pushes are upserted on their revision.

Upstream answers a per-datum failure with 500 (or, in production, by logging and dropping that datum); we refuse
the whole collection with a 400 that says what to fix, so a client never believes data was stored when it was not.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from treeherder.api.deps import ProjectRef, project_from_path
from treeherder.api.errors import APIError, detail
from treeherder.auth.middleware import auth_writes
from treeherder.ingest.parse import InvalidCollection, parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor, MissingPushes, StoredJobs

log = logging.getLogger(__name__)

router = APIRouter(tags=["submission"])

JOBS_STORED = {"message": "Job successfully updated"}
PUSHES_STORED = {"message": "Push successfully updated"}
# Upstream parses request bodies with DRF's JSON parser only.
JSON_MEDIA_TYPES = frozenset({"application/json"})


async def require_hawk_client(request: Request) -> str:
    """The Hawk client id the middleware verified, or 403 (anonymous writes are refused, as upstream).

    Async only so that FastAPI runs it inline rather than in a worker thread.
    """
    client_id = getattr(request.state, "hawk_client_id", None)
    if client_id is None:
        raise detail(403, "Authentication credentials were not provided.")
    return client_id


# For measuring the nesting of a (valid) JSON text without walking the parsed value in Python: braces read as
# brackets (in valid JSON they pair up the same way), and everything but quotes and brackets dropped.
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def json_nesting_exceeds(text: bytes, limit: int) -> bool:
    """True if the containers of a valid JSON text nest deeper than ``limit`` (``[]`` is depth 1).

    Works on the text with bytes methods, each a C loop: escaped backslashes, then escaped quotes are dropped
    (escapes pair up from the left in valid JSON), then everything but quotes and brackets; what lies between
    quotes is string content and does not count. Each pass then removes the innermost ``[]`` pairs: a text still
    non-empty after ``limit`` passes nests deeper than that.
    """
    if b"\\" in text:
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Two adjacent quotes open and close one string, or close one and open the next with nothing between: either
    # way dropping them keeps every bracket on its side. Only strings holding brackets are left to split out.
    structure = text.translate(_BRACES_AS_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    brackets = b"".join(structure.split(b'"')[::2]) if b'"' in structure else structure
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


async def read_json_body(request: Request, max_depth: int) -> Any:
    """The request's JSON body, with upstream's errors for a wrong media type (415) and bad JSON (400)."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise detail(415, f'Unsupported media type "{content_type}" in request.')
    body = await request.body()
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc):
            # orjson's own nesting limit (1024) lies beyond any sensible MAX_JSON_DEPTH.
            raise detail(400, f"JSON nesting is deeper than the limit of {max_depth} levels.") from None
        raise detail(400, f"JSON parse error - {exc}") from None
    if json_nesting_exceeds(body, max_depth):
        raise detail(400, f"JSON nesting is deeper than the limit of {max_depth} levels.")
    return value


def invalid_collection(kind: str, exc: InvalidCollection) -> APIError:
    """400 naming every bad item and field: ``detail`` for people, ``errors`` for programs."""
    count = len(exc.errors)
    problems = "; ".join(str(error) for error in exc.errors[:50])
    more = f" (and {count - 50} more)" if count > 50 else ""
    text = f"Invalid {kind} collection, nothing was stored: {problems}{more}"
    return APIError(400, {"detail": text, "errors": [error.as_dict() for error in exc.errors]})


def hand_off_background_work(request: Request, stored: StoredJobs) -> None:
    """Give the logs to parse and the perf signatures to check to the background workers (after the commit).

    ``app.state.dispatch`` is the one entry point of background work (installed with the worker); without it the
    work stays recorded in the database (pending log rows, pending perf alerts) for the start-up sweep.
    """
    if not stored.pending_logs and not stored.perf_signature_ids:
        return
    dispatch = getattr(request.app.state, "dispatch", None)
    if dispatch is None:
        log.debug("no background dispatcher installed; %d logs stay pending", len(stored.pending_logs))
        return
    dispatch(stored)


def _store_jobs(request: Request, project: str, items: Any) -> None:
    try:
        jobs = parse_job_collection(items)
    except InvalidCollection as exc:
        raise invalid_collection("job", exc) from None
    ingestor: Ingestor = request.app.state.ingestor
    writes = auth_writes(request.state)
    try:
        stored = ingestor.store_jobs(project, jobs, on_missing_push="raise", first=writes and writes.record)
    except MissingPushes as exc:
        raise detail(400, f"Invalid job collection, nothing was stored: {exc}") from None
    if writes is not None:
        writes.committed()
    hand_off_background_work(request, stored)


def _store_pushes(request: Request, project: str, items: Any) -> None:
    try:
        pushes = parse_push_collection(items)
    except InvalidCollection as exc:
        raise invalid_collection("push", exc) from None
    ingestor: Ingestor = request.app.state.ingestor
    writes = auth_writes(request.state)
    ingestor.store_pushes(project, pushes, first=writes and writes.record)
    if writes is not None:
        writes.committed()


@router.post(
    "/api/project/{project}/jobs/",
    summary="Submit a job collection (Hawk)",
    responses={
        200: {"content": {"application/json": {"example": JOBS_STORED}}},
        400: {"description": "An item is invalid or names a revision without a push; nothing was stored."},
        403: {"description": "Missing or invalid Hawk credentials."},
        429: {"description": "Too many requests for this credential (THROTTLE_JOBS)."},
    },
)
async def submit_jobs(
    request: Request,
    client_id: str = Depends(require_hawk_client),
    repository: ProjectRef = Depends(project_from_path),
) -> dict:
    """Store or update the jobs of a job collection (all-or-nothing)."""
    items = await read_json_body(request, request.app.state.settings.max_json_depth)
    await run_in_threadpool(_store_jobs, request, repository.name, items)
    log.info("%s submitted %d jobs to %s", client_id, len(items), repository.name)
    return JOBS_STORED


@router.post(
    "/api/project/{project}/push/",
    summary="Submit a push collection (Hawk)",
    responses={
        200: {"content": {"application/json": {"example": PUSHES_STORED}}},
        400: {"description": "An item is invalid; nothing was stored."},
        403: {"description": "Missing or invalid Hawk credentials."},
        429: {"description": "Too many requests for this credential (THROTTLE_PUSH)."},
    },
)
async def submit_pushes(
    request: Request,
    client_id: str = Depends(require_hawk_client),
    repository: ProjectRef = Depends(project_from_path),
) -> dict:
    """Store the pushes of a push collection and their commits (existing ones are kept; all-or-nothing)."""
    items = await read_json_body(request, request.app.state.settings.max_json_depth)
    await run_in_threadpool(_store_pushes, request, repository.name, items)
    log.info("%s submitted %d pushes to %s", client_id, len(items) if isinstance(items, list) else 1, repository.name)
    return PUSHES_STORED
