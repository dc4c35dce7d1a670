"""The /docs/ page in a real (headless) browser: Swagger UI renders every operation, loading nothing from elsewhere."""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import LiveServer
from tests.web.conftest import launch_chromium
from tests.web.conftest import page  # noqa: F401 - the browser page fixture (uses `chromium` below)
from treeherder.config import load_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for this module only.

    Playwright's sync API allows one instance per thread at a time, so this one is closed when the module ends,
    before the web tests start their session-wide browser.
    """
    yield from launch_chromium()


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    from treeherder.api.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('docs-browser') / 'unused.db'}"
    server = LiveServer(create_app(dataclasses.replace(load_settings(), database_url=url))).start()
    try:
        yield server
    finally:
        server.stop()


def test_swagger_ui_renders_the_schema_offline(page, docs_server):  # noqa: F811 - pytest fixture
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{docs_server.url}/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/project/{project}/jobs/" in text for text in paths)
    assert any("/api/project/{project}/push/" in text for text in paths)
    assert len(paths) >= 30
    assert requested and all(url.startswith(docs_server.url) or url.startswith("data:") for url in requested), requested
    assert violations == []
