"""Signing in and out: ``/api/auth/login/`` and ``/api/auth/logout/``, and the OpenID Connect redirect pair.

Upstream signs in with Auth0 tokens (``GET /api/auth/login/`` with a Bearer token); a self-hosted server has its own
users instead, so ``POST /api/auth/login/`` takes an email and a password, and the optional OpenID Connect sign-in
goes through ``/auth/oidc/login`` and ``/auth/oidc/callback``. Both end in the same signed-cookie session, and the
login answer is upstream's user object.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from treeherder.api.deps import get_db
from treeherder.api.errors import detail
from treeherder.api.params import documented, error_responses, example_response
from treeherder.api.responses import ORJSONResponse
from treeherder.api.submit import read_json_body
from treeherder.auth import oidc
from treeherder.auth.sessions import sign_in, sign_out
from treeherder.auth.users import authenticate
from treeherder.db.engine import Database

router = APIRouter(tags=["sign-in"])

USER_EXAMPLE = {"username": "email/sheriff@example.org", "is_superuser": False, "is_staff": True, "email": "sheriff@example.org"}
INVALID_LOGIN = "Invalid email or password."


@router.post(
    "/api/auth/login/",
    summary="Sign in with email and password (JSON body); starts a session cookie and sets the csrftoken cookie",
    openapi_extra=documented([]),
    responses={
        200: example_response(USER_EXAMPLE),
        **error_responses((403, {"detail": INVALID_LOGIN}, "unknown email, wrong password or disabled user")),
    },
)
async def login(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    # A JSON body also keeps other sites' forms out: a cross-site JSON POST needs a CORS preflight we refuse.
    body: Any = await read_json_body(request, request.app.state.settings.max_json_depth)
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) or not isinstance(body.get("password"), str):
        raise detail(400, "Send {\"email\": ..., \"password\": ...}")
    user = await run_in_threadpool(authenticate, db, body["email"], body["password"])
    if user is None:
        raise detail(403, INVALID_LOGIN)
    response = ORJSONResponse(user.as_api())
    sign_in(request, response, user)
    return response


@router.get(
    "/api/auth/login/",
    summary="Upstream's token sign-in; this server signs in with POST (password) or OpenID Connect",
    openapi_extra=documented([]),
    responses=error_responses((403, {"detail": "Authorization header is expected"}, "always")),
)
def login_with_token() -> ORJSONResponse:
    raise detail(403, "Authorization header is expected")


def _logout(request: Request) -> ORJSONResponse:
    response = ORJSONResponse("User logged out")
    sign_out(request, response)
    return response


@router.get(
    "/api/auth/logout/",
    summary="Sign out (ends the session)",
    openapi_extra=documented([]),
    responses={200: example_response("User logged out")},
)
def logout(request: Request) -> ORJSONResponse:
    return _logout(request)


@router.post("/api/auth/logout/", summary="Sign out (ends the session)", openapi_extra=documented([]))
def logout_post(request: Request) -> ORJSONResponse:
    return _logout(request)


@router.get("/auth/oidc/login", include_in_schema=False)
async def oidc_login(request: Request) -> RedirectResponse:
    provider = oidc.client(request.app)
    if provider is None:
        raise detail(404, "OpenID Connect sign-in is not configured")
    return await provider.authorize_redirect(request, str(request.url_for("oidc_callback")))


@router.get("/auth/oidc/callback", include_in_schema=False, name="oidc_callback")
async def oidc_callback(request: Request, db: Database = Depends(get_db)) -> RedirectResponse:
    provider = oidc.client(request.app)
    if provider is None:
        raise detail(404, "OpenID Connect sign-in is not configured")
    user = await oidc.finish_sign_in(request, provider, db)
    response = RedirectResponse("/", status_code=302)
    sign_in(request, response, user)
    return response
