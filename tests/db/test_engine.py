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
