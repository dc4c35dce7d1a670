"""Shared test fixtures: real databases (SQLite and PostgreSQL), a real HTTP server on loopback, the fixtures.

Every test that takes `database` (or anything built on it) runs once per backend: `[sqlite]` on a temporary file and
`[postgresql]` on the server named by TEST_POSTGRES_URL (started by `make test`). Each backend's schema is migrated
once per session; after every test all tables are emptied and the reference data reloaded, so tests see a fresh
database without paying for a migration each.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from treeherder.config import Settings, load_settings
from treeherder.db import schema
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.ingest.store import Ingestor

REPO_ROOT = Path(__file__).resolve().parent.parent
# The upstream sample data sits beside the clone (../shared/fixtures); CI lays it out the same way.
SHARED_FIXTURES = Path(os.environ.get("TREEHERDER_SHARED_FIXTURES", REPO_ROOT.parent / "shared" / "fixtures"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
# `make test` sets this so that a missing PostgreSQL fails the run instead of skipping half of it.
REQUIRE_SERVICES = os.environ.get("TEST_REQUIRE_SERVICES") == "1"
USER_AGENT = "treeherder-tests/1.0"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(f"upstream fixtures not found at {SHARED_FIXTURES}; set TREEHERDER_SHARED_FIXTURES")
    return SHARED_FIXTURES


def load_json(path: Path):
    return json.loads(path.read_text())


# --- databases ----------------------------------------------------------------------------------------------------


def _backend_params() -> list:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]


class _Backends:
    """One migrated database per backend for the whole session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.dbs: dict[str, Database] = {}

    def get(self, backend: str) -> Database:
        if backend not in self.dbs:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp / 'test.db'}"
            else:
                if not POSTGRES_URL:
                    if REQUIRE_SERVICES:
                        pytest.fail("TEST_POSTGRES_URL is not set but TEST_REQUIRE_SERVICES=1")
                    pytest.skip("PostgreSQL not available (set TEST_POSTGRES_URL, or run `make test`)")
                url = POSTGRES_URL
                _reset_postgres(url)
            db = Database(url)
            schema.init(db)
            self.dbs[backend] = db
        return self.dbs[backend]

    def close(self) -> None:
        for db in self.dbs.values():
            db.dispose()


def _reset_postgres(url: str) -> None:
    """Start the session from an empty schema, whatever an earlier run left behind."""
    from treeherder.db.engine import scratch_engine

    engine = scratch_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def _backends(tmp_path_factory) -> Iterator[_Backends]:
    backends = _Backends(tmp_path_factory.mktemp("databases"))
    yield backends
    backends.close()


# Tables emptied between tests: everything; the reference data is then loaded again.
_ALL_TABLES = [table.name for table in reversed(t.metadata.sorted_tables)]


def empty_database(db: Database) -> None:
    with db.write() as conn:
        if db.dialect == "postgresql":
            names = ", ".join(f'"{name}"' for name in _ALL_TABLES)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in _ALL_TABLES:
                conn.execute(text(f'DELETE FROM "{name}"'))
    schema.load_reference_data(db)


@pytest.fixture(params=_backend_params())
def database(request, _backends) -> Iterator[Database]:
    """A migrated database with the reference data loaded and nothing else; emptied after the test."""
    db = _backends.get(request.param)
    try:
        yield db
    finally:
        empty_database(db)


@pytest.fixture
def ingestor(database) -> Ingestor:
    return Ingestor(database)


@pytest.fixture
def settings(database, tmp_path) -> Settings:
    """Settings for an app on the test database (other values are the documented defaults)."""
    return dataclasses.replace(load_settings(), database_url=database.url, data_dir=tmp_path)


# --- a real HTTP server on loopback -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn serving an app from a background thread on 127.0.0.1."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, **kwargs) -> httpx.Client:
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)


def make_app(settings: Settings, database: Database):
    from treeherder.api.app import create_app

    return create_app(settings, database)


@pytest.fixture
def app(settings, database):
    return make_app(settings, database)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(live_server) -> Iterator[httpx.Client]:
    """An HTTP client talking to a real server on loopback, identifying itself with a proper User-Agent."""
    with live_server.client() as http:
        yield http


# --- upstream fixtures through the ingestion path -----------------------------------------------------------------

TEST_REPOSITORY = "mozilla-central"


@pytest.fixture
def fixture_pushes(ingestor, shared_fixtures) -> dict[str, int]:
    """The 22 pushes of pushes/push_data.json stored in mozilla-central (revision -> push id)."""
    from treeherder.ingest.parse import parse_push_collection

    pushes = parse_push_collection(load_json(shared_fixtures / "pushes" / "push_data.json"))
    return ingestor.store_pushes(TEST_REPOSITORY, pushes)


@pytest.fixture
def fixture_jobs(ingestor, fixture_pushes, shared_fixtures):
    """The 122 jobs of jobs/job_data.txt stored in mozilla-central on top of the fixture pushes."""
    from treeherder.ingest.parse import parse_job_collection

    lines = (shared_fixtures / "jobs" / "job_data.txt").read_text().splitlines()
    jobs = parse_job_collection([json.loads(line) for line in lines if line.strip()])
    return ingestor.store_jobs(TEST_REPOSITORY, jobs)
