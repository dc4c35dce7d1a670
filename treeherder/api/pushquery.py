"""SQL for pushes: the push list columns, their newest commits, and push objects as upstream serialises them.

Commits are read for a whole page of pushes in one query: a window function numbers each push's commits newest
first and counts them, so a page of 1,000 pushes costs two queries whatever its commit count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, select

from treeherder.db import tables as t

MAX_REVISIONS_PER_PUSH = 20

PUSH_COLUMNS = (
    t.push.c.id,
    t.push.c.revision,
    t.push.c.author,
    t.push.c.branch,
    t.push.c.push_timestamp,
    t.push.c.repository_id,
)


def _newest(column) -> Any:
    return select(func.max(column)).scalar_subquery()


def _recent(column, window: int) -> Any:
    return select(func.count()).where(column > _newest(column) - window).scalar_subquery()


# Pushes and their commits are only ever added (never changed or deleted), so the newest ids say whether a push list
# may have changed. SQLite adds rows one writer at a time, so ids appear in order. PostgreSQL commits concurrent
# writers in any order, so a smaller id can appear after a larger one: the number of recent rows is counted too (a
# transaction would have to stay open while a thousand later ones commit for this to miss it).
_PUSH_LIST_VERSION = {
    "sqlite": select(_newest(t.push.c.id), _newest(t.commit.c.id)),
    "postgresql": select(
        _newest(t.push.c.id), _newest(t.commit.c.id), _recent(t.push.c.id, 1000), _recent(t.commit.c.id, 1000)
    ),
}


def push_list_version(conn: Connection) -> tuple:
    """A value that changes whenever a push or a commit is stored (three or four primary-key index reads)."""
    return tuple(conn.execute(_PUSH_LIST_VERSION[conn.dialect.name]).one())


def push_select() -> Select:
    """SELECT of the push list's columns (add filters, ordering and a limit)."""
    return select(*PUSH_COLUMNS)


def newest_commits(conn: Connection, push_ids: Sequence[int]) -> dict[int, tuple[int, list[tuple[str, str, str]]]]:
    """push id -> (commit count, up to 20 newest commits as (revision, author, comments))."""
    if not push_ids:
        return {}
    c = t.commit
    numbered = (
        select(
            c.c.push_id,
            c.c.revision,
            c.c.author,
            c.c.comments,
            func.row_number().over(partition_by=c.c.push_id, order_by=c.c.id.desc()).label("position"),
            func.count().over(partition_by=c.c.push_id).label("total"),
        )
        .where(c.c.push_id.in_(list(push_ids)))
        .subquery()
    )
    rows = conn.execute(
        select(numbered.c.push_id, numbered.c.revision, numbered.c.author, numbered.c.comments, numbered.c.total)
        .where(numbered.c.position <= MAX_REVISIONS_PER_PUSH)
        .order_by(numbered.c.push_id, numbered.c.position)
    )
    out: dict[int, tuple[int, list[tuple[str, str, str]]]] = {}
    for push_id, revision, author, comments, total in rows:
        entry = out.get(push_id)
        if entry is None:
            entry = out[push_id] = (total, [])
        entry[1].append((revision, author, comments))
    return out


def push_objects(conn: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Push rows (``PUSH_COLUMNS``) as upstream's push objects, in the given order."""
    commits = newest_commits(conn, [row[0] for row in rows])
    out = []
    for push_id, revision, author, branch, push_timestamp, repository_id in rows:
        total, newest = commits.get(push_id, (0, []))
        out.append(
            {
                "id": push_id,
                "revision": revision,
                "author": author,
                "branch": branch,
                "revisions": [
                    {
                        "result_set_id": push_id,
                        "repository_id": repository_id,
                        "revision": commit_revision,
                        "author": commit_author,
                        "comments": comments,
                    }
                    for commit_revision, commit_author, comments in newest
                ],
                "revision_count": total,
                "push_timestamp": push_timestamp,
                "repository_id": repository_id,
            }
        )
    return out


def push_status(conn: Connection, push_id: int) -> dict[str, int]:
    """Job counts of a push over unclassified jobs below tier 3 (upstream's ``Push.get_status``).

    Completed jobs count under their result and under ``completed``; others under their state; ``coalesced``
    mirrors ``superseded`` for older consumers.
    """
    j = t.job
    rows = conn.execute(
        select(j.c.state, j.c.result, func.count())
        .where(j.c.push_id == push_id, j.c.tier < 3, j.c.failure_classification_id == 1)
        .group_by(j.c.state, j.c.result)
    )
    status = {"completed": 0, "pending": 0, "running": 0}
    for state, result, total in rows:
        if state == "completed":
            status[result] = status.get(result, 0) + total
            status["completed"] += total
        else:
            status[state] = status.get(state, 0) + total
    if "superseded" in status:
        status["coalesced"] = status["superseded"]
    return status
