"""Helpers for the bugs cache tests: bugs written straight into ``bugscache`` and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from treeherder.cli import main
from treeherder.config import get_settings
from treeherder.db import tables as t


@pytest.fixture
def add_bugs(database) -> Callable[..., dict[int, int]]:
    """add_bugs((bugzilla id, summary[, resolution]), ...) -> bugzilla id -> internal id."""

    def _add(*bugs: tuple) -> dict[int, int]:
        rows = [
            {
                "bugzilla_id": bug[0],
                "summary": bug[1],
                "resolution": bug[2] if len(bug) > 2 else "",
                "status": "RESOLVED" if len(bug) > 2 and bug[2] else "NEW",
                "modified": datetime(2026, 1, 1),
            }
            for bug in bugs
        ]
        with database.write() as conn:
            conn.execute(t.bugscache.insert(), rows)
            return dict(conn.execute(select(t.bugscache.c.bugzilla_id, t.bugscache.c.id)).all())

    return _add


@pytest.fixture
def cli(database, monkeypatch) -> Iterator[Callable[..., Result]]:
    """Runs `treeherder ...` in-process against the test database."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()
