"""Browser-test fixtures: Debian's Chromium driven by Playwright, one server with the sample data per module.

The browser is the system's `/usr/bin/chromium` (installed by `scripts/services.sh`), never a Playwright download.
Screenshots go to `$TEST_OUTPUT_DIR` (default `test-output/`).
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, REQUIRE_SERVICES, LiveServer, make_app
from treeherder.config import load_settings
from treeherder.db import schema
from treeherder.db.engine import Database
from treeherder.ingest.loader import LoadSummary
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", REPO_ROOT / "test-output"))


class LogServer:
    """Serves files from a folder on 127.0.0.1 and counts the requests it answers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):  # noqa: N802 - the stdlib's name
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def log_server(tmp_path) -> Iterator[_LogServer]:
    folder = tmp_path / "served"
    folder.mkdir()
    server = _LogServer(folder)
    server.folder = folder
    yield server
    server.close()


@pytest.fixture
def log_server(tmp_path) -> Iterator[LogServer]:
    """An HTTP server on 127.0.0.1 serving the files put in its `folder`."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = LogServer(folder)
    yield server
    server.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


def launch_chromium() -> Iterator:
    """A headless Chromium for a fixture to yield from (closed when the fixture ends); skips (or fails under
    TEST_REQUIRE_SERVICES) without one."""
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM} (scripts/services.sh installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (session-wide); the tests open their own pages in fresh contexts."""
    yield from launch_chromium()


@pytest.fixture
def page(chromium):
    """A fresh browser page (own cookies and cache) on a laptop-sized screen; page errors fail the test."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def page_location(page) -> str:
    """The page's address as the page sees it (history.replaceState reaches Playwright's page.url only later)."""
    return page.evaluate("() => window.location.href")


@dataclasses.dataclass
class UIServer:
    """A live server on a private SQLite database holding the bundled sample data."""

    server: LiveServer
    db: Database
    ingestor: Ingestor
    loaded: LoadSummary

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory) -> Iterator[UIServer]:
    from treeherder.perf.store import register as register_perf_storage
    from treeherder.sample import sample_dataset

    register_perf_storage()
    folder = tmp_path_factory.mktemp("ui")
    db = Database(f"sqlite:///{folder / 'ui.db'}")
    schema.init(db)
    settings = dataclasses.replace(
        load_settings(), database_url=db.url, data_dir=folder, log_fetch_allowlist=("127.0.0.1",)
    )
    app = make_app(settings, db)
    server = LiveServer(app)
    # The sample logs are served by this very server; its URL is only known once the port is chosen.
    app.state.settings = dataclasses.replace(settings, site_url=server.url)
    ingestor = Ingestor(db)
    loaded = LoadSummary()
    for repository, kind, items in sample_dataset(site_url=server.url):
        if kind == "pushes":
            loaded.pushes += len(ingestor.store_pushes(repository, parse_push_collection(items)))
        else:
            loaded.add(ingestor.store_jobs(repository, parse_job_collection(items)))
    server.start()
    try:
        yield UIServer(server, db, ingestor, loaded)
    finally:
        server.stop()
        db.dispose()
