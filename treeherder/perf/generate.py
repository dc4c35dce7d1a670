"""Alert generation for one signature against the database (task ``generate-alerts``).

Reads the signature's recent data (PERF.md §5.1), runs the framework's detector, and writes
alert summaries and alerts in one transaction (§5.4, §5.5), after checking that the data read is unchanged. Work is driven by
``performance_alert_pending``: storing data marks a signature, generating alerts clears the mark,
so a lost queue message is made up for by :func:`process_pending`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, delete, func, select, update

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


# Detection runs again from the start when new data arrives between it and its writes; after this many tries it runs
# inside the write transaction (holding the write lock, but certain to finish).
_DETECTION_TRIES = 3


@dataclass(frozen=True)
class _Detection:
    """What a detection run read and found: the writes may only use it while the data it read is unchanged."""

    signature: Row
    inputs: tuple
    detector: str
    candidates: list[AlertCandidate]


def generate_alerts(
    db: Database,
    signature_id: int,
    *,
    now: int | None = None,
    detector_choices: Mapping[str, str] | None = None,
) -> list[int]:
    """Run detection for one signature and store its alerts; returns the ids of the alerts written.

    The detector (up to seconds for E-Divisive on a long series) runs in a read transaction, so ingestion is not held
    up behind the write lock meanwhile; the write transaction reads the inputs again and stores the alerts only if
    they are unchanged (the pending mark goes in the same transaction, so data that came after is analysed later).
    """
    now = int(time.time()) if now is None else now
    choices = detector_choices or {}
    for attempt in range(1, _DETECTION_TRIES + 1):
        last = attempt == _DETECTION_TRIES
        if not last:
            with db.read() as conn:
                detection = _detect(conn, signature_id, now, choices)
        with db.write() as conn:
            if last:
                detection = _detect(conn, signature_id, now, choices)
            elif detection is not None and _inputs(conn, detection.signature, now) != detection.inputs:
                continue  # new data (or alerts) since the detection: detect again
            written = _store(conn, detection, now) if detection is not None else []
            conn.execute(
                delete(t.performance_alert_pending).where(t.performance_alert_pending.c.signature_id == signature_id)
            )
            return written
    raise AssertionError("unreachable")


def _inputs(conn: Connection, signature: Row, now: int) -> tuple:
    """What detection reads for `signature`: the newest alert's push time and the points of the last 14 days."""
    pd = t.performance_datum
    newest_alert = _newest_alert_push_time(conn, signature.id)
    points = conn.execute(
        select(pd.c.push_id, pd.c.push_timestamp, pd.c.value).where(
            pd.c.signature_id == signature.id, pd.c.push_timestamp >= now - 14 * 86400
        )
        .order_by(pd.c.push_timestamp, pd.c.id)
    ).all()
    return newest_alert, tuple(tuple(point) for point in points)


def _detect(conn: Connection, signature_id: int, now: int, detector_choices: Mapping[str, str]) -> _Detection | None:
    sig, fw = t.performance_signature, t.performance_framework
    signature = conn.execute(
        select(sig, fw.c.name.label("framework_name"))
        .join(fw, fw.c.id == sig.c.framework_id)
        .where(sig.c.id == signature_id)
    ).first()
    if signature is None:
        return None
    inputs = _inputs(conn, signature, now)
    newest_alert, points = inputs
    analysed = select_analysis_points(list(points), now, newest_alert)
    detector = detector_choices.get(signature.framework_name, DEFAULT_DETECTOR)
    if not analysed:
        return _Detection(signature, inputs, detector, [])
    settings = AlertSettings(
        lower_is_better=signature.lower_is_better,
        alert_change_type=signature.alert_change_type,
        alert_threshold=signature.alert_threshold,
        min_back_window=signature.min_back_window,
        max_back_window=signature.max_back_window,
        fore_window=signature.fore_window,
    )
    return _Detection(signature, inputs, detector, find_alerts_with_detector(detector, revision_data(analysed), settings))


def _store(conn: Connection, detection: _Detection, now: int) -> list[int]:
    if not detection.candidates:
        return []
    signature, candidates = detection.signature, detection.candidates
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
        written.append(_upsert_alert(conn, summary_id, signature.id, plan.alert, detection.detector, stamp))
    return written


def _create_summary(conn: Connection, signature, alert: AlertCandidate, stamp: datetime, sheriffed: bool) -> int:
    return insert_alert_summary(
        conn,
        repository_id=signature.repository_id,
        framework_id=signature.framework_id,
        push_id=alert.push_id,
        prev_push_id=alert.prev_push_id,
        created=_utc(alert.push_timestamp),
        last_updated=stamp,
        manually_created=False,
        sheriffed=sheriffed,
    )


def insert_alert_summary(
    conn: Connection,
    *,
    repository_id: int,
    framework_id: int,
    push_id: int,
    prev_push_id: int,
    created: datetime,
    last_updated: datetime,
    manually_created: bool,
    sheriffed: bool,
) -> int:
    """The id of the summary of these pushes: a new untriaged one, or the one that is there already."""
    s = t.performance_alert_summary
    conn.execute(
        insert_ignore(conn, s, ["repository_id", "framework_id", "prev_push_id", "push_id", "sheriffed"]),
        {
            "repository_id": repository_id,
            "framework_id": framework_id,
            "push_id": push_id,
            "prev_push_id": prev_push_id,
            "manually_created": manually_created,
            "sheriffed": sheriffed,
            "created": created,
            "last_updated": last_updated,
            "triage_due_date": triage_due_date(created),
            "bug_due_date": bug_due_date(created),
            "status": int(SummaryStatus.UNTRIAGED),
        },
    )
    return conn.execute(
        select(s.c.id).where(
            s.c.repository_id == repository_id,
            s.c.framework_id == framework_id,
            s.c.prev_push_id == prev_push_id,
            s.c.push_id == push_id,
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
