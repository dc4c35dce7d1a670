"""Connections: clear errors for unreachable databases, SQLite's pragmas, one writer at a time."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from treeherder.db import engine
from treeherder.db.engine import Database, DatabaseUnavailable


def test_unreachable_postgres_is_one_clear_line():
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable) as info:
        db.check()
    message = str(info.value)
    assert "cannot connect to the database at postgresql+psycopg://nobody@127.0.0.1:1/none" in message
    assert "\n" not in message


def test_unsupported_database_is_refused():
    with pytest.raises(DatabaseUnavailable, match="unsupported database"):
        Database("mysql://user@localhost/db")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_sqlite_writers_take_turns_and_readers_do_not_wait(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.write() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))

    def bump():
        for _ in range(50):
            with db.write() as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar()
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    # A reader during the writes sees a consistent value without blocking.
    with db.read() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() >= 0
    for thread in threads:
        thread.join()
    with db.read() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 200
    db.dispose()


def test_sqlite_wal_is_checkpointed_by_a_thread_of_the_writing_process(tmp_path):
    """The writer's commits leave the copying of pages into the database file to the checkpoint thread."""
    path = tmp_path / "x.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as conn:
            conn.execute(text("CREATE TABLE filler (body TEXT)"))
        size_before = path.stat().st_size
        for _ in range(engine.CHECKPOINT_AFTER_COMMITS):
            with db.write() as conn:
                conn.execute(text("INSERT INTO filler VALUES (:body)"), [{"body": "x" * 2000}] * 50)
        # Far below SQLite's own checkpoint threshold, so only the thread can have moved the pages.
        deadline = time.monotonic() + 5
        while path.stat().st_size == size_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > size_before
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 50 * engine.CHECKPOINT_AFTER_COMMITS
    finally:
        db.dispose()
    assert not any(thread.name == f"sqlite-checkpoint {path}" for thread in threading.enumerate())


def test_postgres_replaces_pooled_connections_that_died_while_idle(database, monkeypatch):
    """Pooled connections are pinged after PING_AFTER_IDLE_SECONDS of idleness (not on every checkout), so a server
    that dropped them (a restart, an idle timeout) costs no failed request."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL connection pool")
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    for _ in range(3):  # several pooled connections
        with database.read() as conn:
            conn.execute(text("SELECT 1"))
    other_process = Database(database.url)
    try:
        with other_process.write() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar()
    finally:
        other_process.dispose()
    assert killed >= 1
    time.sleep(0.1)
    for _ in range(3):
        with database.read() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        with database.read_statement() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2
