"""The web UI: page shells (Jinja2) and static assets. Everything the pages show comes from the REST API.

The pages are served with a strict Content-Security-Policy (scripts only from this server, no inline scripts or
event handlers, no plugins, no framing), so even HTML that slips into job data cannot run script.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import exists, select
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from treeherder import __version__
from treeherder.api.deps import get_db
from treeherder.db import tables as t
from treeherder.db.engine import Database

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")

#: The repository `/` opens when it has pushes (as treeherder.mozilla.org does).
DEFAULT_REPOSITORY = "autoland"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


class RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers revalidate on each load (cheap 304s via ETag), so an upgrade is seen at once."""

    async def get_response(self, path: str, scope: Scope):
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


static_files = RevalidatedStaticFiles(directory=WEB_DIR / "static")


def default_repository(db: Database) -> str | None:
    """`autoland` if it has pushes, else the first active repository with pushes, else the first active one."""
    repo = t.repository
    has_pushes = exists(select(t.push.c.id).where(t.push.c.repository_id == repo.c.id))
    with db.read() as conn:
        names = conn.execute(
            select(repo.c.name).where(repo.c.active_status == "active", has_pushes).order_by(repo.c.id)
        ).scalars().all()
        if not names:
            return conn.execute(
                select(repo.c.name).where(repo.c.active_status == "active").order_by(repo.c.id).limit(1)
            ).scalar()
    return DEFAULT_REPOSITORY if DEFAULT_REPOSITORY in names else names[0]


@router.get("/")
def index(db: Database = Depends(get_db)) -> RedirectResponse:
    name = default_repository(db)
    return RedirectResponse(f"/jobs?repo={name}" if name else "/jobs", status_code=302)


def _page(request: Request, template: str, title: str, script: str, **extra: object) -> HTMLResponse:
    context = {"title": title, "script": script, "version": __version__, **extra}
    return templates.TemplateResponse(request, template, context, headers=PAGE_HEADERS)


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    return _page(request, "jobs.html", "Jobs", "jobs.js")


@router.get("/logviewer", response_class=HTMLResponse)
def log_viewer_page(request: Request) -> HTMLResponse:
    return _page(request, "logviewer.html", "Log viewer", "logviewer.js")
@router.get("/perf/graphs", response_class=HTMLResponse)
def perf_graphs_page(request: Request) -> HTMLResponse:
    return _page(request, "graphs.html", "Performance graphs", "graphs.js")


@router.get("/perf/alerts", response_class=HTMLResponse)
def perf_alerts_page(request: Request) -> HTMLResponse:
    return _page(request, "alerts.html", "Performance alerts", "alerts.js")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    from treeherder.auth.oidc import is_configured

    return _page(request, "login.html", "Sign in", "login.js", oidc=is_configured(request.app.state.settings))


@router.get("/intermittent-failures", response_class=HTMLResponse)
def intermittent_failures_page(request: Request) -> HTMLResponse:
    return _page(request, "failures.html", "Intermittent failures", "failures.js")
