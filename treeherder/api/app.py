"""The ASGI application: routers, middleware and error shapes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from treeherder.api.cache import ResponseCache
from treeherder.api.jobquery import ReferenceRows
from treeherder.api.responses import ORJSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from treeherder import __version__
from treeherder.api import auth, docs, failures, health, jobs, notes, perfcompare, performance, performance_alerts, performance_triage, push, refdata, repository, sheriffing, submit
from treeherder.api.errors import APIError, database_failure
from treeherder.api.middleware import HeadAsGetMiddleware, UserAgentAndVersionMiddleware
from treeherder.auth.middleware import HawkMiddleware
from treeherder.auth.sessions import install_sessions
from treeherder.config import Settings, get_settings
from treeherder.db.engine import Database
from treeherder.ingest.store import Ingestor
from treeherder.perf.store import register as register_perf_storage
from treeherder.web import log_api, routes as web_routes
from treeherder.work import BackgroundWork, dispatch, start_embedded_worker

log = logging.getLogger(__name__)

ROUTERS = (
    health.router,
    repository.router,
    submit.router,
    refdata.router,
    push.router,
    jobs.router,
    notes.router,
    docs.router,
    log_api.router,
    web_routes.router,
    performance.router,
    performance_alerts.router,
    perfcompare.router,
    auth.router,
    sheriffing.router,
    failures.router,
    performance_triage.router,
)


def _field_name(loc: tuple) -> str:
    # ("query", "count") -> "count"; ("body", 0, "job", "state") -> "0.job.state"
    return ".".join(str(part) for part in loc[1:]) or str(loc[0])


async def _api_error(_request: Request, exc: APIError) -> ORJSONResponse:
    return exc.response()


async def _http_error(_request: Request, exc: StarletteHTTPException) -> ORJSONResponse:
    return ORJSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _data_error(_request: Request, exc: DataError) -> ORJSONResponse:
    # The database refused a value taken from the request (a number beyond its column's range, a NUL character in
    # text): bad input, not a server fault.
    log.info("database refused a request value: %s", exc.orig)
    body = {"detail": "A value in the request cannot be stored or compared (out of range or invalid)"}
    return ORJSONResponse(body, status_code=400)


async def _database_failure(_request: Request, exc: OperationalError) -> ORJSONResponse:
    # The database restarting, unreachable, out of disk or out of time: the client may retry (never a bare 500).
    log.warning("database failure answered with an error: %s", str(exc.orig or exc).strip().splitlines()[0])
    return database_failure(exc).response()


async def _validation_error(_request: Request, exc: RequestValidationError) -> ORJSONResponse:
    problems = [f"{_field_name(tuple(err['loc']))}: {err['msg']}" for err in exc.errors()]
    return ORJSONResponse({"detail": "; ".join(problems)}, status_code=400)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The embedded worker (no BROKER_URL) lives as long as the server: its threads start here and stop on shutdown.
    worker = start_embedded_worker(app.state.settings, app.state.db, sweep=app.state.sweep_pending_work)
    try:
        yield
    finally:
        if worker is not None:
            await run_in_threadpool(worker.stop)


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, sweep_pending_work: bool = False
) -> FastAPI:
    """Build the application. The database is opened here; the schema must already be current (`treeherder init`).

    Background work dispatched by the app's own ingestion runs in an embedded worker while the app runs (unless
    ``BROKER_URL`` sends it to Celery). *sweep_pending_work* makes that worker also pick up the work pending in the
    database, at start-up and periodically (``treeherder serve`` does; tests usually do not).
    """
    settings = settings or get_settings()
    db = db or Database(settings.database_url, read_time_limit_ms=settings.sql_time_limit_ms)
    app = FastAPI(
        lifespan=_lifespan,
        title="Treeherder API",
        version=__version__,
        description=(
            "A REST API for the push, job and performance data of this CI results server, compatible with "
            "Mozilla Treeherder's. Every path ends with a slash. Send a descriptive `User-Agent`: generic "
            "scripting agents (`python-requests/...`, `Python-urllib/...`) are refused with HTTP 403."
        ),
        default_response_class=ORJSONResponse,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ingestor = Ingestor(db)
    # Jobs submitted over REST store their performance artifacts (the hook is idempotent).
    register_perf_storage()
    app.state.projects = {}
    app.state.response_cache = ResponseCache(settings.response_cache_mb * 1024 * 1024)
    app.state.reference_rows = ReferenceRows()
    app.state.sweep_pending_work = sweep_pending_work

    def dispatch_background_work(stored: BackgroundWork) -> int:
        """Hand the background work of a committed batch (StoredJobs) on; call after the commit."""
        return dispatch(settings, db, stored)

    app.state.dispatch = dispatch_background_work
    for router in ROUTERS:
        app.include_router(router)
    docs.install(app)
    app.mount("/static", web_routes.static_files, name="static")  # the web UI's scripts and styles
    # The logs the sample dataset's failed jobs point at.
    app.mount("/sample-logs", StaticFiles(packages=[("treeherder.data", "sample_logs")]), name="sample-logs")
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OperationalError, _database_failure)
    # Innermost: HEAD reaches the routes as GET, after authentication has seen the real method.
    app.add_middleware(HeadAsGetMiddleware)
    # Inside CORS and the User-Agent check: body size limit, Hawk verification, throttling, signed responses.
    app.add_middleware(HawkMiddleware, settings=settings, db=db)
    # Signed-cookie sessions of signed-in people (Hawk requests ignore them).
    install_sessions(app, settings)
    # CORS is open for reads; writes are made by authenticated tools, not by other sites' pages.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "OPTIONS"], allow_headers=["*"])
    app.add_middleware(UserAgentAndVersionMiddleware, disallowed_user_agents=settings.disallowed_user_agents)
    return app
