"""The browsable documentation (/docs/), the schema endpoint (/api/schema/) and the committed OpenAPI snapshot."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import USER_AGENT
from treeherder.config import load_settings

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
UPDATE_HINT = (
    "The OpenAPI schema no longer matches tests/api/openapi.snapshot.json. If the API change is intended, refresh the "
    "snapshot with `UPDATE_OPENAPI_SNAPSHOT=1 pytest tests/api/test_docs.py -k snapshot` and commit it."
)


@pytest.fixture(scope="module")
def schema_app(tmp_path_factory):
    """The application without a database behind it: enough to build and serve the schema and the docs page."""
    from treeherder.api.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'unused.db'}"
    return create_app(dataclasses.replace(load_settings(), database_url=url))


@pytest.fixture(scope="module")
def http(schema_app):
    from fastapi.testclient import TestClient

    with TestClient(schema_app, headers={"User-Agent": USER_AGENT}) as client:
        yield client


def _comparable(schema: dict) -> dict:
    schema = json.loads(json.dumps(schema))
    schema["info"].pop("version", None)  # the package version moves without any API change
    return schema


def test_openapi_matches_snapshot(schema_app):
    current = _comparable(schema_app.openapi())
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    stored = json.loads(SNAPSHOT.read_text())
    if current != stored:
        added = sorted(set(current["paths"]) - set(stored["paths"]))
        removed = sorted(set(stored["paths"]) - set(current["paths"]))
        changed = sorted(
            p for p in set(current["paths"]) & set(stored["paths"]) if current["paths"][p] != stored["paths"][p]
        )
        pytest.fail(f"{UPDATE_HINT}\nadded paths: {added}\nremoved paths: {removed}\nchanged paths: {changed}")


# The read API's parts of the schema (tags of its routers); other areas document their own routes.
READ_API_TAGS = {"reference data", "pushes", "jobs", "classification", "documentation"}


def test_every_read_api_operation_is_documented(schema_app):
    """Each read-API operation has a summary, described parameters and an example of its successful response."""
    problems = []
    checked = 0
    for path, operations in schema_app.openapi()["paths"].items():
        for method, operation in operations.items():
            if not READ_API_TAGS & set(operation.get("tags", [])) or method != "get":
                continue
            checked += 1
            where = f"{method.upper()} {path}"
            if not operation.get("summary"):
                problems.append(f"{where}: no summary")
            for param in operation.get("parameters", []):
                if not param.get("description"):
                    problems.append(f"{where}: parameter {param['name']} has no description")
            contents = operation.get("responses", {}).get("200", {}).get("content", {}).values()
            if not any("example" in c or "examples" in c for c in contents):
                problems.append(f"{where}: no example response")
    assert checked >= 30
    assert problems == []


def test_docs_page_is_self_hosted(http):
    page = http.get("/docs/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/docs/static/swagger-ui-bundle.js" in page.text
    assert "/docs/static/init.js" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "/api/schema/?format=json" in http.get("/docs/static/init.js").text
    assert "https://" not in page.text and "http://" not in page.text  # nothing from a CDN
    script = http.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text[:5000] + script.text[-5000:]
    assert http.get("/docs/static/swagger-ui.css").status_code == 200
    assert http.get("/docs/static/../../__init__.py").status_code == 404
    assert http.get("/docs/static/index.html").status_code == 404


def test_schema_endpoint_yaml_and_json(http, schema_app):
    as_yaml = http.get("/api/schema/")
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.text) == json.loads(json.dumps(schema_app.openapi()))
    as_json = http.get("/api/schema/", params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["paths"].keys() == schema_app.openapi()["paths"].keys()
    assert "/api/project/{project}/jobs/" in as_json.json()["paths"]
