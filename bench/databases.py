"""Databases for the benchmarks: a fresh SQLite file, and PostgreSQL when the test services are running."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from treeherder.db import schema
from treeherder.db.engine import Database, scratch_engine


def available_backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL"):
        backends.append("postgresql")
    return backends


@contextmanager
def fresh_database(backend: str) -> Iterator[Database]:
    """An empty, migrated database with the reference data (dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="treeherder-bench-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            schema.init(db)
            try:
                yield db
            finally:
                db.dispose()
        return
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ["TEST_POSTGRES_URL"]
    engine = scratch_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    db = Database(url)
    schema.init(db)
    try:
        yield db
    finally:
        db.dispose()


def settle(db: Database) -> None:
    """Bring a freshly loaded database to its steady state before reads are measured.

    PostgreSQL: VACUUM ANALYZE, as autovacuum would within minutes of a bulk load (without it, index-only scans still
    visit the table for every row and the planner has no statistics). SQLite needs nothing."""
    if db.is_sqlite:
        return
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
