"""The error summary of a job (``jobs/{id}/bug_suggestions/``): its stored error lines with matching bugs.

Search terms come from :mod:`treeherder.logs.bugsuggest` (upstream's cleaning rules); the bugs come from the local
``bugscache`` table through :func:`treeherder.bugs.search.search_bugs` (indexed substring search ranked by trigram
similarity, with upstream's keep-rules).

``counter`` and ``failure_new_in_rev`` are computed from the stored error lines rather than upstream's per-day
cache: ``counter`` is how often the same line (cleaned, numbers masked) occurred in jobs of earlier pushes of the
repository within 21 days, and a line is new in the revision when it never did.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select

from treeherder.bugs.search import search_bugs
from treeherder.db import tables as t
from treeherder.logs.bugsuggest import bug_search, clean_error_line, normalize_for_counter

# Error lines seen in earlier pushes of the repository within this window count towards `counter`.
COUNTER_WINDOW = timedelta(days=21)
OCCURRENCE_WINDOW = timedelta(days=7)
_DIGITS = re.compile(r"\d+")


def _add_occurrences(conn: Connection, bugs: list[dict[str, Any]]) -> None:
    """Bugs filed only locally (no Bugzilla id) carry how often they were linked to a job in the last 7 days."""
    local = [bug["internal_id"] for bug in bugs if bug["id"] is None]
    if not local:
        return
    since = datetime.now(UTC).replace(tzinfo=None) - OCCURRENCE_WINDOW
    counts = dict(
        conn.execute(
            select(t.bug_job_map.c.internal_bug_id, func.count())
            .where(t.bug_job_map.c.internal_bug_id.in_(local), t.bug_job_map.c.created >= since)
            .group_by(t.bug_job_map.c.internal_bug_id)
        ).all()
    )
    for bug in bugs:
        if bug["id"] is None:
            bug["occurrences"] = counts.get(bug["internal_id"], 0)


def counter_key(line: str) -> str:
    """The form under which repeated error lines count together: cleaned, then with run-specific numbers masked."""
    return normalize_for_counter(clean_error_line(line))


def _anchor(line: str) -> str:
    """The longest digit-free piece of the cleaned line: earlier lines that can share its key all contain it."""
    pieces = (piece.strip() for piece in _DIGITS.split(clean_error_line(line)))
    return max(pieces, key=len, default="")


def _earlier_counts(conn: Connection, job_id: int, lines: list[str]) -> dict[str, int]:
    """counter key -> how often such a line occurred in jobs of earlier pushes of the repository (last 21 days).

    The database narrows the candidates with a substring test on each line's longest digit-free piece; the keys
    (cleaned, numbers masked) are then compared here, so ``12:01:02 INFO - X`` and ``X`` count as one line.
    """
    anchors = {anchor for anchor in map(_anchor, lines) if len(anchor) >= 5}
    if not anchors:
        return {}
    job, push, tle = t.job, t.push, t.text_log_error
    this = conn.execute(
        select(job.c.repository_id, push.c.push_timestamp)
        .join(push, push.c.id == job.c.push_id)
        .where(job.c.id == job_id)
    ).one()
    window_start = this.push_timestamp - int(COUNTER_WINDOW.total_seconds())
    candidates = conn.execute(
        select(tle.c.line)
        .select_from(push.join(job, job.c.push_id == push.c.id).join(tle, tle.c.job_id == job.c.id))
        .where(
            push.c.repository_id == this.repository_id,
            push.c.push_timestamp < this.push_timestamp,
            push.c.push_timestamp >= window_start,
            or_(*(tle.c.line.contains(anchor, autoescape=True) for anchor in sorted(anchors))),
        )
    ).scalars()
    return Counter(counter_key(line) for line in candidates)


def error_summary(conn: Connection, job_id: int) -> list[dict[str, Any]]:
    """One item per stored error line of the job, in id order (upstream HEAD's fields)."""
    errors = conn.execute(
        select(t.text_log_error.c.line, t.text_log_error.c.line_number)
        .where(t.text_log_error.c.job_id == job_id)
        .order_by(t.text_log_error.c.id)
    ).all()
    earlier = _earlier_counts(conn, job_id, [row.line for row in errors])
    cache: dict[str, list[dict[str, Any]]] = {}
    summary = []
    for row in errors:
        found = bug_search(row.line)
        terms = list(found.search_terms)
        bugs: dict[Any, dict[str, Any]] = {}
        for term in terms:
            for bug in cache.setdefault(term, search_bugs(conn, term)):
                bugs.setdefault(bug["internal_id"], bug)
        if not bugs and found.crash_signature:
            terms.append(found.crash_signature)
            for bug in cache.setdefault(found.crash_signature, search_bugs(conn, found.crash_signature)):
                bugs.setdefault(bug["internal_id"], bug)
        matched = [dict(bug) for bug in bugs.values()]
        _add_occurrences(conn, matched)
        counter = earlier.get(counter_key(row.line), 0)
        summary.append(
            {
                "search": found.search,
                "search_terms": terms,
                "path_end": found.path_end,
                "bugs": {
                    "open_recent": [bug for bug in matched if not bug["resolution"]],
                    "all_others": [bug for bug in matched if bug["resolution"]],
                },
                "line_number": row.line_number,
                "counter": counter,
                "failure_new_in_rev": counter == 0,
            }
        )
    return summary
