"""The browsable API documentation: ``/docs/`` (Swagger UI, served from this server) and ``/api/schema/``.

The Swagger UI assets come from the ``swagger-ui-bundle`` package, so the page works without any CDN or internet
access. ``/api/schema/`` serves the OpenAPI document as YAML by default (as upstream's drf-spectacular does) and as
JSON with ``?format=json``.
"""

from __future__ import annotations

from functools import lru_cache

import orjson
import yaml
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from treeherder.api.errors import detail
from treeherder.api.params import documented

router = APIRouter(tags=["documentation"])

# The only files of the bundle the page loads.
_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui-standalone-preset.js": "application/javascript",
    "favicon-32x32.png": "image/png",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Treeherder REST API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
"""


# Loaded as a file, not inline, so that the page runs under a CSP without 'unsafe-inline' scripts.
_INIT_SCRIPT = """window.ui = SwaggerUIBundle({
  url: "/api/schema/?format=json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
});
"""
# Everything comes from this server; Swagger UI sets inline styles and uses data: images for its icons.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@router.get("/docs/", include_in_schema=False)
def docs_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff"})


@router.get("/docs/static/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    if name == "init.js":
        return Response(_INIT_SCRIPT, media_type="application/javascript")
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise detail(404, "Not Found")
    return FileResponse(
        swagger_ui_path / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )


@lru_cache(maxsize=4)
def _rendered(schema_json: bytes, as_yaml: bool) -> bytes:
    if not as_yaml:
        return schema_json
    return yaml.safe_dump(orjson.loads(schema_json), sort_keys=False, allow_unicode=True).encode()


@router.get(
    "/api/schema/",
    summary="The OpenAPI 3 description of this API",
    description="YAML (`application/vnd.oai.openapi`) by default; JSON with `?format=json`.",
    openapi_extra=documented([]),
    responses={
        200: {
            "description": "The OpenAPI document",
            "content": {
                "application/vnd.oai.openapi": {"example": "openapi: 3.1.0\ninfo:\n  title: Treeherder API\n"},
                "application/json": {"example": {"openapi": "3.1.0", "info": {"title": "Treeherder API"}}},
            },
        }
    },
)
def schema(request: Request) -> Response:
    document = orjson.dumps(request.app.openapi())
    if request.query_params.get("format") == "json":
        return Response(_rendered(document, False), media_type="application/json")
    return Response(_rendered(document, True), media_type="application/vnd.oai.openapi")


# Descriptions for path parameters that every router shares, used where a route does not describe its own.
COMMON_PARAMETER_DESCRIPTIONS = {
    "project": "Repository name, e.g. `autoland` or `mozilla-central`.",
    "job_id": "Job id.",
    "push_id": "Push id.",
    "repository_id": "Repository id.",
    "summary_id": "Performance alert summary id.",
    "alert_id": "Performance alert id.",
}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` fill in shared parameter descriptions (computed once, as FastAPI caches it)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for param in operation.get("parameters", []):
                        if not param.get("description") and param.get("name") in COMMON_PARAMETER_DESCRIPTIONS:
                            param["description"] = COMMON_PARAMETER_DESCRIPTIONS[param["name"]]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
