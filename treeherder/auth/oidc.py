"""Optional OpenID Connect sign-in (any provider: Keycloak, Auth0, Google, GitLab, ...), through Authlib.

Configured by OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET; the provider's discovery document gives the
endpoints and keys. Authlib keeps the state and nonce of the redirect in the session and validates the ID token.
A user is identified by the verified email claim; when OIDC_SHERIFF_GROUP is set, membership of that group (in the
OIDC_GROUPS_CLAIM claim) makes them a sheriff at each sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from treeherder.api.errors import detail
from treeherder.auth.users import User, UserError, upsert_oidc_user
from treeherder.config import Settings
from treeherder.db.engine import Database

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import StarletteOAuth2App

PROVIDER_NAME = "oidc"


def is_configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def client(app: FastAPI) -> StarletteOAuth2App | None:
    """The app's OpenID Connect client, registered on first use (None when sign-in through OIDC is off)."""
    settings: Settings = app.state.settings
    if not is_configured(settings):
        return None
    registry = getattr(app.state, "oauth", None)
    if registry is None:
        # Imported on first use: only servers with OIDC configured pay for Authlib (and its import-time warnings).
        from authlib.integrations.starlette_client import OAuth


        registry = OAuth()
        registry.register(
            PROVIDER_NAME,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret or None,
            server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile"},
        )
        app.state.oauth = registry
    return registry.create_client(PROVIDER_NAME)


def sheriff_from_claims(claims: dict[str, Any], settings: Settings) -> bool | None:
    """Whether the claims put the user in the sheriff group (None: no sheriff group configured)."""
    if not settings.oidc_sheriff_group:
        return None
    groups = claims.get(settings.oidc_groups_claim) or []
    if isinstance(groups, str):
        groups = groups.split()
    return settings.oidc_sheriff_group in groups


async def finish_sign_in(request: Request, provider: StarletteOAuth2App, db: Database) -> User:
    """Exchange the callback's code for tokens and return the (possibly new) user; 403 when that cannot be done."""
    from authlib.integrations.base_client import OAuthError

    try:
        token = await provider.authorize_access_token(request)
    except OAuthError as exc:
        raise detail(403, f"OpenID Connect sign-in failed: {exc.error}") from None
    claims: dict[str, Any] = dict(token.get("userinfo") or {})
    if not claims.get("email"):
        claims.update(await provider.userinfo(token=token))
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        raise detail(403, "Unrecognized identity")
    settings: Settings = request.app.state.settings
    try:
        user = await run_in_threadpool(upsert_oidc_user, db, email, sheriff=sheriff_from_claims(claims, settings))
    except UserError:
        raise detail(403, "Unrecognized identity") from None
    if not user.is_active:
        raise detail(403, "This user has been disabled.")
    return user
