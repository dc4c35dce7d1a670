"""Sheriffing writes on alerts and alert summaries (the logic behind the staff-only POST/PUT endpoints).

Each function is one write transaction. Statuses follow PERF.md §5.6: an alert's related summary
and its status must agree, and a summary's status is recomputed from its alerts (and those
reassigned or marked downstream into it) whenever one of them changes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import insert_ignore
from treeherder.perf.alerts import (
    INFINITE_T_VALUE,
    AlertState,
    AlertStatus,
    SummaryStatus,
    check_alert_status,
    summary_status,
)
from treeherder.perf.detect.ttest import FORE_WINDOW, MAX_BACK_WINDOW
from treeherder.perf.generate import insert_alert_summary


class TriageError(ValueError):
    """A request the rules refuse; ``str(error)`` is the message upstream answers with."""


class NotFound(LookupError):
    """The summary, alert or signature does not exist."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_alert_summary(db: Database, repository_id: int, framework_id: int, push_id: int, prev_push_id: int) -> int:
    """A manually created summary (or the existing one for the same pushes); returns its id."""
    if push_id == prev_push_id:
        raise TriageError("IDs of push & previous push cannot be identical")
    now = _now()
    with db.write() as conn:
        return insert_alert_summary(
            conn,
            repository_id=repository_id,
            framework_id=framework_id,
            push_id=push_id,
            prev_push_id=prev_push_id,
            created=now,
            last_updated=now,
            manually_created=True,
            sheriffed=True,  # sheriffs create them for themselves
        )


def create_manual_alert(db: Database, summary_id: int, signature_id: int) -> int:
    """An alert on ``signature_id`` for the summary's push range, from the data around it.

    The previous value is the mean of up to ``max_back_window`` values pushed at or before the
    summary's previous push, the new value the mean of up to ``fore_window`` values after it.
    """
    s, sig, d, p = t.performance_alert_summary, t.performance_signature, t.performance_datum, t.push
    with db.write() as conn:
        summary = conn.execute(
            select(s.c.id, p.c.push_timestamp.label("prev_time"))
            .join(p, p.c.id == s.c.prev_push_id)
            .where(s.c.id == summary_id)
        ).first()
        signature = conn.execute(select(sig).where(sig.c.id == signature_id)).first()
        if summary is None or signature is None:
            raise NotFound("Summary and signature ids necessary to create alert")
        back_size = signature.max_back_window or MAX_BACK_WINDOW
        fore_size = signature.fore_window or FORE_WINDOW
        before = (
            conn.execute(
                select(d.c.value)
                .where(d.c.signature_id == signature_id, d.c.push_timestamp <= summary.prev_time)
                .order_by(d.c.push_timestamp.desc(), d.c.id.desc())
                .limit(back_size)
            )
            .scalars()
            .all()
        )
        after = (
            conn.execute(
                select(d.c.value)
                .where(d.c.signature_id == signature_id, d.c.push_timestamp > summary.prev_time)
                .order_by(d.c.push_timestamp, d.c.id)
                .limit(fore_size)
            )
            .scalars()
            .all()
        )
        if not before or not after:
            raise TriageError("Insufficient data to create an alert")
        prev_value = math.fsum(before) / len(before)
        new_value = math.fsum(after) / len(after)
        amount_abs = new_value - prev_value
        lower_is_better = signature.lower_is_better
        now = _now()
        a = t.performance_alert
        values = {
            "summary_id": summary_id,
            "series_signature_id": signature_id,
            "is_regression": (amount_abs > 0 and lower_is_better) or (amount_abs < 0 and not lower_is_better),
            "amount_abs": amount_abs,
            "amount_pct": 100 * abs(amount_abs) / prev_value if prev_value else 0.0,
            "prev_value": prev_value,
            "new_value": new_value,
            "t_value": INFINITE_T_VALUE,
            "manually_created": True,
            "status": int(AlertStatus.UNTRIAGED),
            "created": now,
            "last_updated": now,
        }
        conn.execute(insert_ignore(conn, a, ["summary_id", "series_signature_id"]), values)
        alert_id = conn.execute(
            select(a.c.id).where(a.c.summary_id == summary_id, a.c.series_signature_id == signature_id)
        ).scalar_one()
        _recompute_summary(conn, summary_id)
        return alert_id


_ALERT_FIELDS = frozenset({"status", "related_summary_id", "starred", "is_regression", "classifier_id"})


def update_alert(db: Database, alert_id: int, changes: dict[str, Any]) -> None:
    """Apply sheriff changes to an alert and recompute the statuses of the summaries it touches.

    ``changes`` may hold status, related_summary_id, starred, is_regression and classifier_id;
    moving pushes ("nudging") is refused, as upstream HEAD does.
    """
    if "push_id" in changes or "prev_push_id" in changes:
        raise TriageError("Nudging has been disabled")
    unknown = set(changes) - _ALERT_FIELDS
    if unknown:
        raise TriageError(f"Unknown alert field(s): {', '.join(sorted(unknown))}")
    a = t.performance_alert
    with db.write() as conn:
        alert = conn.execute(select(a).where(a.c.id == alert_id)).first()
        if alert is None:
            raise NotFound("No PerformanceAlert matches the given query.")
        status = changes.get("status", alert.status)
        related = changes.get("related_summary_id", alert.related_summary_id)
        problem = check_alert_status(status, related)
        if problem:
            raise TriageError(problem)
        now = _now()
        values = dict(changes, last_updated=now)
        if alert.first_triaged is None and status != AlertStatus.UNTRIAGED:
            values["first_triaged"] = now
        conn.execute(update(a).where(a.c.id == alert_id).values(**values))
        touched = {alert.summary_id, alert.related_summary_id, related} - {None}
        for summary_id in sorted(touched):
            _recompute_summary(conn, summary_id)


def _recompute_summary(conn: Connection, summary_id: int) -> SummaryStatus:
    """Set a summary's status from its alerts and the regressions/improvements reassigned into it."""
    s, a = t.performance_alert_summary, t.performance_alert
    current = conn.execute(select(s.c.status, s.c.first_triaged).where(s.c.id == summary_id)).first()
    if current is None:
        return SummaryStatus.UNTRIAGED
    rows = conn.execute(
        select(a.c.id, a.c.status, a.c.is_regression, a.c.summary_id).where(
            or_(a.c.summary_id == summary_id, a.c.related_summary_id == summary_id)
        )
    ).all()
    states = [AlertState(row.status, row.is_regression, related_here=row.summary_id != summary_id) for row in rows]
    status = summary_status(current.status, states)
    if current.status == SummaryStatus.IMPROVEMENT and status == SummaryStatus.UNTRIAGED:
        # A regression was reassigned into an improvement summary: its acknowledged alerts need a new look.
        conn.execute(
            update(a)
            .where(a.c.summary_id == summary_id, a.c.status == AlertStatus.ACKNOWLEDGED)
            .values(status=int(AlertStatus.UNTRIAGED))
        )
    values: dict[str, Any] = {"status": int(status), "last_updated": _now()}
    if current.first_triaged is None and status != SummaryStatus.UNTRIAGED:
        values["first_triaged"] = values["last_updated"]
    conn.execute(update(s).where(s.c.id == summary_id).values(**values))
    return status


_SUMMARY_FIELDS = frozenset(
    {"status", "bug_number", "bug_status", "notes", "assignee_id", "performance_tags", "issue_tracker_id"}
)


def update_alert_summary(db: Database, summary_id: int, changes: dict[str, Any]) -> None:
    """Apply sheriff changes to a summary; ``revision``/``prev_push_revision`` move its pushes."""
    s, p = t.performance_alert_summary, t.push
    with db.write() as conn:
        summary = conn.execute(select(s).where(s.c.id == summary_id)).first()
        if summary is None:
            raise NotFound("No PerformanceAlertSummary matches the given query.")
        values: dict[str, Any] = {k: v for k, v in changes.items() if k in _SUMMARY_FIELDS}
        unknown = set(changes) - _SUMMARY_FIELDS - {"revision", "prev_push_revision"}
        if unknown:
            raise TriageError(f"Unknown summary field(s): {', '.join(sorted(unknown))}")
        if "performance_tags" in values and isinstance(values["performance_tags"], list):
            values["performance_tags"] = " ".join(values["performance_tags"])
        if "bug_number" in values and values["bug_number"] != summary.bug_number:
            values["bug_updated"] = _now()
            values["bug_status"] = None  # as upstream: a new bug starts without a status
        revisions = {k: changes[k] for k in ("revision", "prev_push_revision") if k in changes}
        if revisions:
            new_rev = revisions.get("revision")
            prev_rev = revisions.get("prev_push_revision")
            if new_rev is not None and new_rev == prev_rev:
                raise TriageError("From and To revisions should be distinct.")
            for field, column in (("revision", "push_id"), ("prev_push_revision", "prev_push_id")):
                if field in revisions:
                    push_id = conn.execute(
                        select(p.c.id).where(
                            p.c.repository_id == summary.repository_id, p.c.revision == revisions[field]
                        )
                    ).scalar()
                    if push_id is None:
                        raise TriageError(f"No push with revision {revisions[field]}")
                    values[column] = push_id
            push_id = values.get("push_id", summary.push_id)
            prev_id = values.get("prev_push_id", summary.prev_push_id)
            if push_id == prev_id:
                raise TriageError("From and To revisions should be distinct.")
            # Keep where the automatic detection first put the summary.
            values.setdefault("original_push_id", summary.original_push_id or summary.push_id)
            values.setdefault("original_prev_push_id", summary.original_prev_push_id or summary.prev_push_id)
        if values.get("status") is not None and summary.first_triaged is None:
            values["first_triaged"] = _now()
        values["last_updated"] = _now()
        conn.execute(update(s).where(s.c.id == summary_id).values(**values))
