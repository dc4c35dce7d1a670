"""OpenID Connect sign-in against a small provider served on loopback: discovery, code flow, signed ID token,
the sheriff group, and refusals."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.conftest import LiveServer, make_app

CLIENT_ID = "treeherder-test"
CLIENT_SECRET = "s3cret"


class FakeProvider:
    """Just enough of an OpenID provider: discovery, authorize (auto-approves), token, JWKS."""

    def __init__(self, claims: dict) -> None:
        self.claims = claims
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
        self.nonces: dict[str, str] = {}
        self.app = FastAPI()
        self.server = LiveServer(self.app)
        issuer = self.server.url
        app = self.app

        @app.get("/.well-known/openid-configuration")
        def discovery() -> JSONResponse:
            return JSONResponse({
                "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks", "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"], "subject_types_supported": ["public"],
            })  # fmt: skip

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            assert query["client_id"] == CLIENT_ID
            self.nonces["the-code"] = query.get("nonce", "")
            target = f"{query['redirect_uri']}?{urlencode({'code': 'the-code', 'state': query['state']})}"
            return RedirectResponse(target, status_code=302)

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = parse_qs((await request.body()).decode())
            assert form["code"] == ["the-code"]
            now = int(time.time())
            claims = {"iss": issuer, "aud": CLIENT_ID, "sub": "user-1", "iat": now, "exp": now + 300,
                      "nonce": self.nonces["the-code"], **self.claims}  # fmt: skip
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})

        @app.get("/jwks")
        def jwks() -> JSONResponse:
            return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture
def provider_and_client(request, settings, database):
    claims = request.param
    provider = FakeProvider(claims)
    provider.server.start()
    oidc_settings = dataclasses.replace(
        settings, oidc_issuer=provider.server.url, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
        oidc_sheriff_group="sheriffs",
    )  # fmt: skip
    server = LiveServer(make_app(oidc_settings, database)).start()
    try:
        with server.client(follow_redirects=True) as http:
            yield http
    finally:
        server.stop()
        provider.server.stop()


@pytest.mark.parametrize(
    "provider_and_client", [{"email": "oidc@example.org", "email_verified": True, "groups": ["staff", "sheriffs"]}],
    indirect=True,
)  # fmt: skip
def test_oidc_sign_in_creates_a_sheriff_from_the_group(provider_and_client):
    http = provider_and_client
    landed = http.get("/auth/oidc/login")
    assert landed.status_code == 200 and urlparse(str(landed.url)).path in ("/", "/jobs")
    assert http.get("/api/user/").json() == [
        {"username": "oauth2/oidc@example.org", "is_superuser": False, "is_staff": True, "email": "oidc@example.org"}
    ]
    assert http.cookies["csrftoken"]


@pytest.mark.parametrize("provider_and_client", [{"email": "plain@example.org", "groups": []}], indirect=True)
def test_oidc_user_outside_the_group_is_not_a_sheriff(provider_and_client):
    http = provider_and_client
    http.get("/auth/oidc/login")
    assert http.get("/api/user/").json()[0]["is_staff"] is False


@pytest.mark.parametrize("provider_and_client", [{"email": "liar@example.org", "email_verified": False}], indirect=True)
def test_unverified_email_is_refused(provider_and_client):
    http = provider_and_client
    refused = http.get("/auth/oidc/login")
    assert refused.status_code == 403 and refused.json() == {"detail": "Unrecognized identity"}
    assert http.get("/api/user/").json() == []


def test_oidc_routes_are_404_when_not_configured(client):
    assert client.get("/auth/oidc/login").status_code == 404
