"""Responses kept in memory and served again while the rows they were built from are unchanged.

Job lists of pushes, push lists, performance series and signatures are read far more often than their data changes
(the web UI polls them), and building one costs much more than checking whether it changed. Each cached body is
stored with a *version*: a small tuple read from the database by a cheap query (index-only: see
``jobquery.push_jobs_version``, ``pushquery.push_list_version`` and the two in ``api/performance.py``) that changes
whenever any row the body was built from changes. A request reads the version first, as one statement outside any
transaction (``Database.read_statement``: on PostgreSQL a hit then costs one round trip instead of four), and serves
the stored body only when the versions are equal; otherwise it builds the body in a read transaction begun after the
version was read, and stores it under that version. A body is so never older than its version says (it may be newer,
which only makes the next request with a newer version rebuild it): a cached body is never older than the data a
request sees, every API process can keep its own cache, and nothing has to be told when data changes.

The cache is bounded by bytes (``RESPONSE_CACHE_MB``; 0 switches it off) and forgets the least recently used bodies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import ColumnElement, Connection, func
from starlette.requests import Request
from starlette.responses import Response

from treeherder.db.engine import Database


class ResponseCache:
    """Response bodies by request key, each valid for one version of its data."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        """The body stored for `key` at `version`, if any."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        return None

    def store(self, key: Hashable, version: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return  # one huge body would evict everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._entries[key] = (version, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def modification_version(dialect: str, last_modified: ColumnElement) -> list[ColumnElement]:
    """Columns for the version of rows whose every writer sets `last_modified` inside its write transaction.

    The count changes with every insert and delete. On SQLite, writers run one at a time, so the newest
    `last_modified` moves with every commit that changes a row. PostgreSQL commits concurrent writers in any order
    (an earlier timestamp can become visible after a later one), so there the exact sum of all of them is added.
    """
    columns = [func.count(), func.max(last_modified)]
    if dialect == "postgresql":
        columns.append(func.sum(func.extract("epoch", last_modified)))
    return columns


def cached_json(
    request: Request,
    db: Database,
    version: Callable[[Connection], Hashable] | None,
    build: Callable[[Connection], bytes],
) -> Response:
    """The JSON response to `request`: the body stored for it while `version(conn)` is unchanged, else `build(conn)`'s.

    `version` runs as a single statement; `build` in a read transaction of its own, begun after the version was read.
    None means the request has no cheap version and its body is always built."""
    cache: ResponseCache = request.app.state.response_cache
    if version is None or not cache.enabled:
        with db.read() as conn:
            return _json_response(build(conn))
    key = _request_key(request)
    with db.read_statement() as conn:
        current = version(conn)
    body = cache.get(key, current)
    if body is None:
        with db.read() as conn:
            body = build(conn)
        cache.store(key, current, body)
    return _json_response(body)


def _request_key(request: Request) -> tuple:
    """What a list response depends on besides its data: the path and every query parameter, in any order."""
    return (request.url.path, tuple(sorted(request.query_params.multi_items())))


def _json_response(body: bytes) -> Response:
    return Response(body, media_type="application/json")
