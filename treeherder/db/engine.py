"""Database connections: one writer at a time, readers that never wait.

SQLite (the embedded default) runs in WAL mode so readers and the writer do not block each other. Writes go through
``Database.write()``, which holds a process-wide lock and opens the transaction with ``BEGIN IMMEDIATE``: within a
process writers queue on the lock, and across processes they queue on SQLite's busy timeout instead of failing with
"database is locked" half-way through a transaction. On PostgreSQL ``write()`` is a plain transaction, still taken
one at a time within a process (a process's batches would only contend for the same rows).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_POOL_SIZE = 8


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says what to check."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # 8 MB of page cache per connection: enough for the hot indexes, bounded across the pool (the OS caches the
    # file as well).
    cursor.execute("PRAGMA cache_size=-8192")
    cursor.close()


def _limit_sqlite_statements(engine: Engine, limit_ms: int) -> None:
    """Interrupt any statement of `engine` still running `limit_ms` after it started (SQLite's progress handler)."""
    limit = limit_ms / 1000

    @event.listens_for(engine, "connect")
    def _install(dbapi_conn, record) -> None:
        deadline = record.info["statement_deadline"] = [0.0]
        # Called every few thousand virtual-machine steps; a true answer interrupts the statement.
        dbapi_conn.set_progress_handler(lambda: deadline[0] and time.monotonic() > deadline[0], 20_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        conn.info["statement_deadline"][0] = time.monotonic() + limit


# Committed pages are copied from the WAL into the database file by a thread of the writing process (a PASSIVE
# checkpoint, which never blocks the writer or the readers) rather than by whichever commit fills the WAL: a batch of
# jobs dirties a couple of hundred pages (random keys: guids, task ids), and copying them back with two fsyncs took a
# third of the writer's commit time. SQLite's own checkpoint on commit stays, at a larger WAL, as a backstop.
CHECKPOINT_AFTER_COMMITS = 8
CHECKPOINT_BACKSTOP_PAGES = 16_000  # 64 MB of WAL with 4 KB pages


class WalCheckpointer:
    """Checkpoints one SQLite database's WAL in a thread, after every few commits and a second after the last."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._commits = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def committed(self) -> None:
        self._commits += 1
        if self._thread is None or not self._thread.is_alive():  # not started yet, or this is a forked child
            self._start()
        if self._commits >= CHECKPOINT_AFTER_COMMITS:
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._stopping or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name=f"sqlite-checkpoint {self._path}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=1, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping:
                self._wake.wait(1.0)
                self._wake.clear()
                if self._commits and not self._stopping:
                    self._commits = 0
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error as exc:  # e.g. the disk is full: the next one (or SQLite's own) catches up
                        log.warning("WAL checkpoint of %s failed: %s", self._path, exc)
        finally:
            conn.close()

    def stop(self) -> None:
        with self._start_lock:
            self._stopping = True
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(10)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    # The driver's own transaction handling is switched off (isolation_level=None) so that we decide how a
    # transaction begins: IMMEDIATE for the writer (takes the write lock up front), DEFERRED for readers.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "isolation_level": None, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # Readers: as many pooled connections as requests usually run at once. A connection beyond the pool is
        # opened and closed per request, and opening one (with its pragmas) costs more than a small query.
        pool_size=READ_POOL_SIZE if not immediate else 1,
        max_overflow=READ_POOL_SIZE if not immediate else 0,
        pool_timeout=60,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    if immediate:

        @event.listens_for(engine, "connect")
        def _backstop_checkpoints(dbapi_conn, _record) -> None:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_BACKSTOP_PAGES}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# A pooled connection idle for longer than this is pinged before use. Busy connections are not: a ping on every
# checkout is a round trip per request, more than a cached read costs otherwise. A busy connection the server dropped
# fails its request (503, to be retried), and that failure makes the pool replace all connections of its time.
PING_AFTER_IDLE_SECONDS = 2.0


def _postgres_engine(url: str, **connect_args: str) -> Engine:
    engine = create_engine(url, pool_size=10, max_overflow=10, connect_args=connect_args)

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:
        if time.monotonic() - record.info.get("checked_in", float("inf")) > PING_AFTER_IDLE_SECONDS:
            try:
                alive = engine.dialect.do_ping(dbapi_conn)
            except engine.dialect.loaded_dbapi.Error:
                alive = False
            if not alive:
                raise DisconnectionError("connection closed while idle")  # the pool opens a new one

    return engine


class Database:
    """The process's connections to one database."""

    def __init__(self, url: str, *, read_time_limit_ms: int = 0) -> None:
        """`read_time_limit_ms` (SQL_TIME_LIMIT_MS): statements of `read()` transactions running longer are cancelled
        (0: no limit); writes are never cut short."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseUnavailable(f"DATABASE_URL is not a valid database URL: {url!r}") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        self._write_lock = threading.RLock()
        self._checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            path = parsed.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._checkpointer = WalCheckpointer(path)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
            if read_time_limit_ms:
                _limit_sqlite_statements(self.read_engine, read_time_limit_ms)
        elif self.dialect == "postgresql":
            self.write_engine = _postgres_engine(url)
            self.read_engine = self.write_engine
            if read_time_limit_ms:
                # Readers get their own pool whose sessions cancel statements past the limit.
                self.read_engine = _postgres_engine(url, options=f"-c statement_timeout={int(read_time_limit_ms)}")
        else:
            raise DatabaseUnavailable(f"unsupported database {self.dialect!r}: use sqlite:/// or postgresql+psycopg://")

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def check(self) -> None:
        """Connect once, turning a driver traceback into one clear line."""
        try:
            with self.read_engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(f"cannot connect to the database at {self.safe_url}: {reason}") from None

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._write_lock:
            with self.write_engine.begin() as conn:
                yield conn
            if self._checkpointer is not None:
                self._checkpointer.committed()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (one transaction, so several queries see the same data)."""
        with self.read_engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read_statement(self) -> Iterator[Connection]:
        """A connection for one read statement outside any transaction (on PostgreSQL no BEGIN and COMMIT round
        trips; SQLite's are calls within the process). Several statements on it need not see the same data."""
        if self.is_sqlite:
            with self.read() as conn:
                yield conn
        else:
            with self.read_engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def scratch_engine(url: str) -> Engine:
    """An engine without pooling, for one-off administrative work (migrations, tests)."""
    return create_engine(url, poolclass=NullPool)
