"""Perfherder alert read API: ``/api/performance/alertsummary/`` and ``/api/performance/alert/``.

Shapes follow upstream HEAD (API.md §6). Pages are built from a handful of Core selects: one for
the page of summaries, one for all their alerts (own and related), one for the signatures'
Taskcluster metadata; nothing per row.
"""

from __future__ import annotations

import base64
import functools
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, and_, exists, func, or_, select

from treeherder.api.deps import get_db
from treeherder.api.errors import detail
from treeherder.api.params import INT64_MAX, INT64_MIN
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["performance alerts"])

SUMMARY_PAGE_SIZE = 10
SUMMARY_MAX_PAGE_SIZE = 100
ALERT_PAGE_SIZE = 10
# Summary statuses hidden by hide_related_and_invalid: downstream, reassigned, invalid.
_RELATED_AND_INVALID = (1, 2, 3)
_ORDERINGS = {"created", "-created", "id", "-id", "last_updated", "-last_updated"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _alerts_for(conn: Connection, where) -> list[Any]:
    """Alert rows (with their signature, summary push and classifier) matching ``where``."""
    a, s, oc, mp, u = t.performance_alert, t.performance_signature, t.option_collection, t.machine_platform, t.user
    summary = t.performance_alert_summary
    return conn.execute(
        select(
            a,
            s.c.framework_id,
            s.c.signature_hash,
            mp.c.platform,
            s.c.suite,
            s.c.test,
            s.c.lower_is_better,
            s.c.has_subtests,
            oc.c.option_collection_hash,
            s.c.tags,
            s.c.extra_options,
            s.c.measurement_unit,
            s.c.suite_public_name,
            s.c.test_public_name,
            u.c.username.label("classifier"),
            u.c.email.label("classifier_email"),
            summary.c.push_id.label("summary_push_id"),
            summary.c.prev_push_id.label("summary_prev_push_id"),
        )
        .join(s, s.c.id == a.c.series_signature_id)
        .join(oc, oc.c.id == s.c.option_collection_id)
        .join(mp, mp.c.id == s.c.platform_id)
        .join(summary, summary.c.id == a.c.summary_id)
        .outerjoin(u, u.c.id == a.c.classifier_id)
        .where(where)
        .order_by(a.c.id)
    ).all()


def _taskcluster_metadata(conn: Connection, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
    """(signature id, push id) → ``{"task_id", "retry_id"}`` of a job that measured that series on that push."""
    if not pairs:
        return {}
    d, tc = t.performance_datum, t.taskcluster_metadata
    signature_ids = {s for s, _ in pairs}
    push_ids = {p for _, p in pairs}
    rows = conn.execute(
        select(d.c.signature_id, d.c.push_id, tc.c.task_id, tc.c.retry_id)
        .join(tc, tc.c.job_id == d.c.job_id)
        .where(d.c.signature_id.in_(signature_ids), d.c.push_id.in_(push_ids))
        .order_by(d.c.id)
    )
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for signature_id, push_id, task_id, retry_id in rows:
        found.setdefault((signature_id, push_id), {"task_id": task_id, "retry_id": retry_id})
    return found


def alert_json(row: Any, metadata: dict[tuple[int, int], dict[str, Any]]) -> dict[str, Any]:
    """One alert in upstream's shape."""
    signature_id = row.series_signature_id
    return {
        "id": row.id,
        "status": row.status,
        "series_signature": {
            "id": signature_id,
            "framework_id": row.framework_id,
            "signature_hash": row.signature_hash,
            "machine_platform": row.platform,
            "suite": row.suite,
            "test": row.test,
            "lower_is_better": row.lower_is_better,
            "has_subtests": row.has_subtests,
            "option_collection_hash": row.option_collection_hash,
            "tags": row.tags.split(" ") if row.tags else [],
            "extra_options": row.extra_options.split(" ") if row.extra_options else [],
            "measurement_unit": row.measurement_unit,
            "suite_public_name": row.suite_public_name,
            "test_public_name": row.test_public_name,
        },
        "taskcluster_metadata": metadata.get((signature_id, row.summary_push_id)),
        "prev_taskcluster_metadata": metadata.get((signature_id, row.summary_prev_push_id)),
        "profile_url": None,
        "prev_profile_url": None,
        "is_regression": row.is_regression,
        "prev_value": _round(row.prev_value),
        "new_value": _round(row.new_value),
        "t_value": _round(row.t_value),
        "amount_abs": _round(row.amount_abs),
        "amount_pct": _round(row.amount_pct),
        "summary_id": row.summary_id,
        "related_summary_id": row.related_summary_id,
        "manually_created": row.manually_created,
        "classifier": row.classifier,
        "starred": row.starred,
        "classifier_email": row.classifier_email,
        "backfill_record": None,
        "side_by_side_available": False,
        "noise_profile": row.noise_profile,
        "detector": row.detector,
    }


def _metadata_for(conn: Connection, rows: Iterable[Any]) -> dict[tuple[int, int], dict[str, Any]]:
    pairs = set()
    for row in rows:
        pairs.add((row.series_signature_id, row.summary_push_id))
        pairs.add((row.series_signature_id, row.summary_prev_push_id))
    return _taskcluster_metadata(conn, pairs)


@functools.cache
def _summary_select():
    """Alert summaries with their pushes (built once: aliasing a table builds new Column objects)."""
    s, r, push, prev = (
        t.performance_alert_summary,
        t.repository,
        t.push.alias("push"),
        t.push.alias("prev_push"),
    )
    original, original_prev, u = t.push.alias("original_push"), t.push.alias("original_prev_push"), t.user
    return (
        select(
            s,
            r.c.name.label("repository_name"),
            push.c.revision,
            push.c.push_timestamp,
            prev.c.revision.label("prev_push_revision"),
            original.c.revision.label("original_revision"),
            original_prev.c.revision.label("original_prev_push_revision"),
            u.c.username.label("assignee_username"),
            u.c.email.label("assignee_email"),
        )
        .join(r, r.c.id == s.c.repository_id)
        .join(push, push.c.id == s.c.push_id)
        .join(prev, prev.c.id == s.c.prev_push_id)
        .outerjoin(original, original.c.id == s.c.original_push_id)
        .outerjoin(original_prev, original_prev.c.id == s.c.original_prev_push_id)
        .outerjoin(u, u.c.id == s.c.assignee_id)
        .where(r.c.active_status == "active")
    )


def _summaries_json(conn: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    a = t.performance_alert
    alerts = _alerts_for(conn, or_(a.c.summary_id.in_(ids), a.c.related_summary_id.in_(ids))) if ids else []
    metadata = _metadata_for(conn, alerts)
    wanted = set(ids)
    own: dict[int, list[dict]] = defaultdict(list)
    related: dict[int, list[dict]] = defaultdict(list)
    for alert in alerts:
        shaped = alert_json(alert, metadata)
        if alert.summary_id in wanted:
            own[alert.summary_id].append(shaped)
        if alert.related_summary_id is not None:
            related[alert.related_summary_id].append(shaped)
    return [
        {
            "id": row.id,
            "push_id": row.push_id,
            "prev_push_id": row.prev_push_id,
            "original_revision": row.original_revision,
            "created": _iso(row.created),
            "first_triaged": _iso(row.first_triaged),
            "triage_due_date": _iso(row.triage_due_date),
            "repository": row.repository_name,
            "framework": row.framework_id,
            "alerts": own.get(row.id, []),
            "related_alerts": related.get(row.id, []),
            "status": row.status,
            "bug_number": row.bug_number,
            "bug_status": row.bug_status,
            "bug_due_date": _iso(row.bug_due_date),
            "bug_updated": _iso(row.bug_updated),
            "issue_tracker": row.issue_tracker_id if row.issue_tracker_id is not None else 1,
            "notes": row.notes,
            "revision": row.revision,
            "push_timestamp": row.push_timestamp,
            "prev_push_revision": row.prev_push_revision,
            "original_prev_push_revision": row.original_prev_push_revision,
            "assignee_username": row.assignee_username,
            "assignee_email": row.assignee_email,
            "performance_tags": row.performance_tags.split() if row.performance_tags else [],
            "duplicated_summaries": [],
            "monitored_alerts": [],
        }
        for row in rows
    ]


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise detail(400, f"{name}: Enter a whole number.") from None


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true")


def _page_url(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items()})
    return f"{request.url.scheme}://{request.url.netloc}{request.url.path}?{urlencode(params)}"


@router.get("/api/performance/alertsummary/", summary="Alert summaries, newest first, a page at a time")
def list_alert_summaries(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    s, a, sig, mp, push = (
        t.performance_alert_summary,
        t.performance_alert,
        t.performance_signature,
        t.machine_platform,
        t.push,
    )
    query = _summary_select()
    for name, column in (
        ("id", s.c.id),
        ("status", s.c.status),
        ("framework", s.c.framework_id),
        ("repository", s.c.repository_id),
    ):
        value = _int_param(request, name)
        if value is not None:
            query = query.where(column == value)
    if _int_param(request, "id") is None:
        # Summaries of monitored series (no sheriffs) only when asked for, and then only those.
        query = query.where(s.c.sheriffed.is_(not _flag(request, "monitored_alerts")))
    signature_id = _int_param(request, "alerts__series_signature")
    if signature_id is not None:
        query = query.where(exists().where(a.c.summary_id == s.c.id, a.c.series_signature_id == signature_id))
    if _flag(request, "hide_improvements"):
        query = query.where(exists().where(a.c.summary_id == s.c.id, a.c.is_regression.is_(True)))
    if _flag(request, "hide_related_and_invalid"):
        query = query.where(s.c.status.not_in(_RELATED_AND_INVALID))
    if _flag(request, "untriaged_regressions"):
        query = query.where(exists().where(a.c.summary_id == s.c.id, a.c.is_regression.is_(True), a.c.status == 0))
    if _flag(request, "untriaged_improvements"):
        query = query.where(exists().where(a.c.summary_id == s.c.id, a.c.is_regression.is_(False), a.c.status == 0))
    assignee = request.query_params.get("with_assignee")
    if assignee:
        query = query.where(s.c.assignee_id.in_(select(t.user.c.id).where(t.user.c.username == assignee)))
    timerange = _int_param(request, "timerange")
    if timerange is not None:
        since = datetime.fromtimestamp(time.time() - timerange, UTC).replace(tzinfo=None)
        query = query.where(s.c.created > since)
    text = request.query_params.get("filter_text")
    if text:
        for word in text.split():
            like = f"%{word}%"
            matching_signature = exists().where(
                a.c.summary_id == s.c.id,
                sig.c.id == a.c.series_signature_id,
                mp.c.id == sig.c.platform_id,
                or_(sig.c.suite.ilike(like), sig.c.test.ilike(like), mp.c.platform.ilike(like)),
            )
            matching_push = exists().where(push.c.id == s.c.push_id, push.c.revision.ilike(f"{word}%"))
            query = query.where(or_(matching_signature, matching_push))
    ordering = request.query_params.get("ordering", "-created")
    if ordering not in _ORDERINGS:
        raise detail(400, f"Invalid ordering: {ordering}")
    column = s.c[ordering.lstrip("-")]
    query = query.order_by(column.desc() if ordering.startswith("-") else column, s.c.id.desc())
    limit = min(_int_param(request, "limit") or SUMMARY_PAGE_SIZE, SUMMARY_MAX_PAGE_SIZE)
    page = _int_param(request, "page") or 1
    if page < 1 or limit < 1:
        raise detail(404, "Invalid page.")
    with db.read() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        if (page - 1) * limit >= total and page != 1:
            raise detail(404, "Invalid page.")
        rows = conn.execute(query.limit(limit).offset((page - 1) * limit)).all()
        results = _summaries_json(conn, rows)
    return ORJSONResponse(
        {
            "count": total,
            "next": _page_url(request, page=page + 1) if page * limit < total else None,
            "previous": _page_url(request, page=page - 1) if page > 1 else None,
            "results": results,
        }
    )


@router.get("/api/performance/alertsummary/{summary_id}/", summary="One alert summary")
def get_alert_summary(summary_id: int, db: Database = Depends(get_db)) -> ORJSONResponse:
    if not INT64_MIN <= summary_id <= INT64_MAX:  # no stored id lies beyond 64 bits (and SQLite cannot compare it)
        raise detail(404, "No PerformanceAlertSummary matches the given query.")
    with db.read() as conn:
        rows = conn.execute(_summary_select().where(t.performance_alert_summary.c.id == summary_id)).all()
        if not rows:
            raise detail(404, "No PerformanceAlertSummary matches the given query.")
        return ORJSONResponse(_summaries_json(conn, rows)[0])


def _encode_cursor(position: int, reverse: bool) -> str:
    raw = urlencode({"p": position, **({"r": 1} if reverse else {})})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, bool]:
    from urllib.parse import parse_qs

    try:
        fields = parse_qs(base64.urlsafe_b64decode(cursor.encode()).decode())
        return int(fields["p"][0]), fields.get("r", ["0"])[0] == "1"
    except (ValueError, KeyError, UnicodeDecodeError):
        raise detail(404, "Invalid cursor") from None


@router.get("/api/performance/alert/", summary="Alerts, newest first, ten at a time (cursor paging)")
def list_alerts(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    a = t.performance_alert
    where = [a.c.id.is_not(None)]
    alert_id = _int_param(request, "id")
    if alert_id is not None:
        where.append(a.c.id == alert_id)
    cursor = request.query_params.get("cursor")
    position, reverse = _decode_cursor(cursor) if cursor else (None, False)
    if position is not None:
        where.append(a.c.id > position if reverse else a.c.id < position)
    ids_query = select(a.c.id).where(and_(*where))
    ids_query = ids_query.order_by(a.c.id if reverse else a.c.id.desc()).limit(ALERT_PAGE_SIZE + 1)
    with db.read() as conn:
        ids = list(conn.execute(ids_query).scalars())
        more = len(ids) > ALERT_PAGE_SIZE
        ids = sorted(ids[:ALERT_PAGE_SIZE], reverse=True)
        rows = sorted(_alerts_for(conn, a.c.id.in_(ids)), key=lambda r: -r.id) if ids else []
        metadata = _metadata_for(conn, rows)
    results = [alert_json(row, metadata) for row in rows]
    has_next = (more and not reverse) or (reverse and bool(ids))
    has_previous = (position is not None and not reverse and bool(ids)) or (reverse and more)
    return ORJSONResponse(
        {
            "next": _page_url(request, cursor=_encode_cursor(ids[-1], False)) if has_next and ids else None,
            "previous": _page_url(request, cursor=_encode_cursor(ids[0], True)) if has_previous and ids else None,
            "results": results,
        }
    )


@router.get("/api/performance/alert/{alert_id}/", summary="One alert")
def get_alert(alert_id: int, db: Database = Depends(get_db)) -> ORJSONResponse:
    if not INT64_MIN <= alert_id <= INT64_MAX:  # no stored id lies beyond 64 bits (and SQLite cannot compare it)
        raise detail(404, "No PerformanceAlert matches the given query.")
    with db.read() as conn:
        rows = _alerts_for(conn, t.performance_alert.c.id == alert_id)
        if not rows:
            raise detail(404, "No PerformanceAlert matches the given query.")
        metadata = _metadata_for(conn, rows)
    return ORJSONResponse(alert_json(rows[0], metadata))
