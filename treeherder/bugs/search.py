"""Bug summary search for bug suggestions (reference LOGS.md §4.3, upstream HEAD's semantics).

A term finds the bugs whose summary contains it (case-insensitive substring), best trigram similarity first, at most
50; of those, only bugs whose summary starts with the term or has it right after ``/``, a space, ``\\`` or ``,`` are
kept. The substring test is index-backed on both databases:

* PostgreSQL: ``lower(summary) LIKE '%term%'`` served by a GIN ``gin_trgm_ops`` index, ranked by pg_trgm's
  ``similarity()`` in the query, exactly as upstream does.
* SQLite: the FTS5 ``trigram`` table ``bugscache_fts`` finds the matches (a quoted phrase is a substring test). FTS5's
  bm25 rank is not a similarity (it rewards repeated hits and short documents), so the candidates are re-ranked here
  with :func:`trigram_similarity`, a re-implementation of pg_trgm's measure: both backends then return the same bugs
  in the same order. Only the first :data:`SQLITE_CANDIDATES` matches by bm25 are re-ranked, which bounds the cost of
  very common terms; bm25 favours short summaries that contain the term, which are also the most similar ones.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, text

from treeherder.db import tables as t

MAX_BUGS_PER_TERM = 50
#: SQLite: how many FTS matches (best bm25 first) are re-ranked by trigram similarity.
SQLITE_CANDIDATES = 1000
#: Database objects of the search index that tables.py does not describe (created by migration 0003).
SEARCH_INDEX_OBJECTS = frozenset(
    {
        "bugscache_fts",
        "bugscache_fts_data",
        "bugscache_fts_idx",
        "bugscache_fts_docsize",
        "bugscache_fts_config",
        "bugscache_fts_content",
        "ix_bugscache_summary_trgm",
    }
)

_BUG_COLUMNS = (
    t.bugscache.c.id,
    t.bugscache.c.bugzilla_id,
    t.bugscache.c.status,
    t.bugscache.c.resolution,
    t.bugscache.c.summary,
    t.bugscache.c.dupe_of,
    t.bugscache.c.crash_signature,
    t.bugscache.c.keywords,
    t.bugscache.c.whiteboard,
)
# pg_trgm's words: runs of alphanumeric characters (everything else separates words).
_WORD = re.compile(r"[^\W_]+")
_FLOAT4 = struct.Struct("f")

_SQLITE_MATCHES = text(
    "SELECT rowid, summary FROM bugscache_fts WHERE bugscache_fts MATCH :query ORDER BY rank LIMIT :limit"
).bindparams(bindparam("limit", SQLITE_CANDIDATES))


def trigrams(value: str) -> set[str]:
    """pg_trgm's trigram set: per lower-cased word, padded with two spaces before and one after."""
    found: set[str] = set()
    for word in _WORD.findall(value.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def trigram_similarity(a: str | set[str], b: str | set[str]) -> float:
    """pg_trgm's ``similarity(a, b)``: shared trigrams over all trigrams, rounded to float4 as PostgreSQL does."""
    first = trigrams(a) if isinstance(a, str) else a
    second = trigrams(b) if isinstance(b, str) else b
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return _FLOAT4.unpack(_FLOAT4.pack(shared / (len(first) + len(second) - shared)))[0]


def term_matches(summary: str, term: str) -> bool:
    """Upstream's keep-rule: the (lower-cased) term starts the summary or follows '/', ' ', '\\' or ','."""
    lowered = summary.lower()
    start = lowered.find(term)
    while start >= 0:
        if start == 0 or lowered[start - 1] in "/ \\,":
            return True
        start = lowered.find(term, start + 1)
    return False


def _escape_like(value: str) -> str:
    """A LIKE pattern that matches the value literally (backslash is PostgreSQL's default escape character)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _postgresql_ranked_rows(conn: Connection, term: str) -> list[Row]:
    lowered_summary = func.lower(t.bugscache.c.summary)
    return list(
        conn.execute(
            select(*_BUG_COLUMNS)
            .where(lowered_summary.like(f"%{_escape_like(term)}%"))
            .order_by(func.similarity(lowered_summary, term).desc(), t.bugscache.c.id)
            .limit(MAX_BUGS_PER_TERM)
        )
    )


def _sqlite_candidates(conn: Connection, term: str) -> list[tuple[int, str]]:
    if len(term) >= 3:
        # A quoted FTS5 phrase over trigrams matches exactly the rows that contain the term (case-folded).
        query = '"' + term.replace('"', '""') + '"'
        return [tuple(row) for row in conn.execute(_SQLITE_MATCHES, {"query": query})]
    # The trigram index cannot look up fewer than 3 characters (search terms are longer; this keeps it correct).
    return [
        tuple(row)
        for row in conn.execute(
            select(t.bugscache.c.id, t.bugscache.c.summary)
            .where(func.lower(t.bugscache.c.summary).contains(term, autoescape=True))
            .limit(SQLITE_CANDIDATES)
        )
    ]


def _sqlite_ranked_ids(conn: Connection, term: str) -> list[int]:
    term_trigrams = trigrams(term)
    # FTS5 folds case the Unicode way and LIKE the ASCII way; keep exactly Python's lower-case substring matches.
    scored = [
        (-trigram_similarity(term_trigrams, summary), bug_id)
        for bug_id, summary in _sqlite_candidates(conn, term)
        if term in summary.lower()
    ]
    scored.sort()
    return [bug_id for _, bug_id in scored[:MAX_BUGS_PER_TERM]]


def _sqlite_ranked_rows(conn: Connection, term: str) -> list[Row]:
    ranked = _sqlite_ranked_ids(conn, term)
    if not ranked:
        return []
    rows = {row.id: row for row in conn.execute(select(*_BUG_COLUMNS).where(t.bugscache.c.id.in_(ranked)))}
    return [rows[bug_id] for bug_id in ranked if bug_id in rows]


def search_bugs(conn: Connection, term: str) -> list[dict[str, Any]]:
    """The bugs a search term suggests, best first: the bug dicts of a bug-suggestion item (``occurrences`` None)."""
    lowered = term.lower()
    if not lowered:
        return []
    if conn.dialect.name == "postgresql":
        ranked = _postgresql_ranked_rows(conn, lowered)
    else:
        ranked = _sqlite_ranked_rows(conn, lowered)
    return [
        {
            "id": row.bugzilla_id,
            "internal_id": row.id,
            "status": row.status,
            "resolution": row.resolution,
            "summary": row.summary,
            "dupe_of": row.dupe_of,
            "crash_signature": row.crash_signature,
            "keywords": row.keywords,
            "whiteboard": row.whiteboard,
            "occurrences": None,
        }
        for row in ranked
        if term_matches(row.summary, lowered)
    ]
