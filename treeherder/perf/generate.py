"""Alert generation for one signature against the database (task ``generate-alerts``).

Reads the signature's recent data (PERF.md §5.1), runs the framework's detector, and writes
alert summaries and alerts in one transaction (§5.4, §5.5). Work is driven by
``performance_alert_pending``: storing data marks a signature, generating alerts clears the mark,
so a lost queue message is made up for by :func:`process_pending`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select, update

from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.db.upsert import dialect_insert, insert_ignore
from treeherder.perf.alerts import (
    AlertCandidate,
    AlertSettings,
    ExistingSummary,
    SummaryStatus,
    bug_due_date,
    find_alerts_with_detector,
    plan_summaries,
    revision_data,
    select_analysis_points,
    triage_due_date,
)
from treeherder.perf.detect import DEFAULT_DETECTOR

log = logging.getLogger(__name__)


def _utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _newest_alert_push_time(conn: Connection, signature_id: int) -> int | None:
    a, s, p = t.performance_alert, t.performance_alert_summary, t.push
    return conn.execute(
        select(func.max(p.c.push_timestamp))
        .select_from(a.join(s, s.c.id == a.c.summary_id).join(p, p.c.id == s.c.push_id))
        .where(a.c.series_signature_id == signature_id)
    ).scalar()


def _existing_summaries(
    conn: Connection, repository_id: int, framework_id: int, push_ids: list[int]
) -> list[ExistingSummary]:
    s, p = t.performance_alert_summary, t.push
    rows = conn.execute(
        select(s.c.id, s.c.push_id, s.c.prev_push_id, p.c.push_timestamp, s.c.manually_created, s.c.sheriffed)
        .join(p, p.c.id == s.c.prev_push_id)
        .where(s.c.repository_id == repository_id, s.c.framework_id == framework_id, s.c.push_id.in_(push_ids))
    )
    return [ExistingSummary(*row) for row in rows]


def generate_alerts(
    db: Database,
    signature_id: int,
    *,
    now: int | None = None,
    detector_choices: Mapping[str, str] | None = None,
) -> list[int]:
    """Run detection for one signature and store its alerts; returns the ids of the alerts written."""
    now = int(time.time()) if now is None else now
    with db.write() as conn:
        written = _generate(conn, signature_id, now, detector_choices or {})
        conn.execute(
            delete(t.performance_alert_pending).where(t.performance_alert_pending.c.signature_id == signature_id)
        )
    return written


def _generate(conn: Connection, signature_id: int, now: int, detector_choices: Mapping[str, str]) -> list[int]:
    sig, fw = t.performance_signature, t.performance_framework
    signature = conn.execute(
        select(sig, fw.c.name.label("framework_name"))
        .join(fw, fw.c.id == sig.c.framework_id)
        .where(sig.c.id == signature_id)
    ).first()
    if signature is None:
        return []
    pd = t.performance_datum
    newest_alert = _newest_alert_push_time(conn, signature_id)
    since = now - 14 * 86400
    points = conn.execute(
        select(pd.c.push_id, pd.c.push_timestamp, pd.c.value).where(
            pd.c.signature_id == signature_id, pd.c.push_timestamp >= since
        )
    ).all()
    points = select_analysis_points(points, now, newest_alert)
    if not points:
        return []
    settings = AlertSettings(
        lower_is_better=signature.lower_is_better,
        alert_change_type=signature.alert_change_type,
        alert_threshold=signature.alert_threshold,
        min_back_window=signature.min_back_window,
        max_back_window=signature.max_back_window,
        fore_window=signature.fore_window,
    )
    detector = detector_choices.get(signature.framework_name, DEFAULT_DETECTOR)
    candidates = find_alerts_with_detector(detector, revision_data(points), settings)
    if not candidates:
        return []
    existing = _existing_summaries(
        conn, signature.repository_id, signature.framework_id, [c.push_id for c in candidates]
    )
    # Monitored series (alerting without sheriffs) get summaries of their own.
    sheriffed = not signature.monitor
    plans = plan_summaries(candidates, existing, sheriffed=sheriffed)
    written = []
    stamp = _utc(now)
    for plan in plans:
        summary_id = plan.summary_id
        if summary_id is None:
            summary_id = _create_summary(conn, signature, plan.alert, stamp, sheriffed)
        elif plan.prev_push_changed:
            conn.execute(
                update(t.performance_alert_summary)
                .where(t.performance_alert_summary.c.id == summary_id)
                .values(prev_push_id=plan.prev_push_id, last_updated=stamp)
            )
        written.append(_upsert_alert(conn, summary_id, signature_id, plan.alert, detector, stamp))
    return written


def _create_summary(conn: Connection, signature, alert: AlertCandidate, stamp: datetime, sheriffed: bool) -> int:
    s = t.performance_alert_summary
    created = _utc(alert.push_timestamp)
    conn.execute(
        insert_ignore(conn, s, ["repository_id", "framework_id", "prev_push_id", "push_id", "sheriffed"]),
        {
            "repository_id": signature.repository_id,
            "framework_id": signature.framework_id,
            "push_id": alert.push_id,
            "prev_push_id": alert.prev_push_id,
            "manually_created": False,
            "sheriffed": sheriffed,
            "created": created,
            "last_updated": stamp,
            "triage_due_date": triage_due_date(created),
            "bug_due_date": bug_due_date(created),
            "status": int(SummaryStatus.UNTRIAGED),
        },
    )
    return conn.execute(
        select(s.c.id).where(
            s.c.repository_id == signature.repository_id,
            s.c.framework_id == signature.framework_id,
            s.c.prev_push_id == alert.prev_push_id,
            s.c.push_id == alert.push_id,
            s.c.sheriffed == sheriffed,
        )
    ).scalar_one()


def _upsert_alert(
    conn: Connection, summary_id: int, signature_id: int, alert: AlertCandidate, detector: str, stamp: datetime
) -> int:
    a = t.performance_alert
    values = {
        "is_regression": alert.is_regression,
        "amount_pct": alert.amount_pct,
        "amount_abs": alert.amount_abs,
        "prev_value": alert.prev_value,
        "new_value": alert.new_value,
        "t_value": alert.t_value,
        "noise_profile": alert.noise_profile,
        "detector": detector,
        "last_updated": stamp,
    }
    insert = dialect_insert(conn, a)
    statement = insert.values(summary_id=summary_id, series_signature_id=signature_id, created=stamp, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["summary_id", "series_signature_id"], set_={k: insert.excluded[k] for k in values}
    ).returning(a.c.id)
    return conn.execute(statement).scalar_one()


def process_pending(
    db: Database, *, now: int | None = None, detector_choices: Mapping[str, str] | None = None, limit: int | None = None
) -> int:
    """Generate alerts for every signature marked pending (oldest mark first); returns how many were done."""
    with db.read() as conn:
        query = select(t.performance_alert_pending.c.signature_id).order_by(t.performance_alert_pending.c.queued_at)
        if limit is not None:
            query = query.limit(limit)
        pending = list(conn.execute(query).scalars())
    for signature_id in pending:
        try:
            generate_alerts(db, signature_id, now=now, detector_choices=detector_choices)
        except Exception:  # one broken series must not block the others; the mark stays for a retry
            log.exception("alert generation failed for performance signature %s", signature_id)
    return len(pending)
