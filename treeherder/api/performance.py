"""Perfherder read API: frameworks, signatures, data, platforms and per-job data (upstream HEAD shapes).

Lists are built from Core selects of the returned columns and serialised with orjson; no ORM objects.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, Select, func, select

from treeherder.api.cache import cached_json, modification_version
from treeherder.api.deps import ProjectRef, get_db, project_from_path
from treeherder.api.errors import APIError, message
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database

router = APIRouter(tags=["performance"])

_BOTH_TIME_FILTERS = "Provide either interval only -or- start (and end) date"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"

SIGNATURE_EXAMPLE = {
    "4211": {
        "id": 4211,
        "signature_hash": "78aaeaf7d3a0170f8a1fb0c4dc34ca276da47e1c",
        "framework_id": 1,
        "option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e",
        "machine_platform": "linux64",
        "suite": "tp5o",
        "should_alert": None,
        "has_subtests": True,
        "extra_options": ["e10s"],
    }
}


def _ints(request: Request, name: str, error: str) -> list[int]:
    try:
        return [int(v) for v in request.query_params.getlist(name)]
    except ValueError:
        raise message(400, error) from None


def _date(value: str, name: str) -> datetime:
    try:
        return datetime.strptime(value, _DATE_FORMAT)
    except ValueError:
        raise message(400, f"{name} must be formatted as YYYY-MM-DDTHH:MM:SS") from None


def _time_window(request: Request) -> tuple[int | None, datetime | None, datetime | None]:
    """(interval seconds, start date, end date) from the query, refusing interval together with dates."""
    params = request.query_params
    interval = params.get("interval")
    start, end = params.get("start_date"), params.get("end_date")
    if interval is not None and (start is not None or end is not None):
        raise message(400, _BOTH_TIME_FILTERS)
    seconds = None
    if interval is not None:
        try:
            seconds = int(float(interval))
        except ValueError:
            raise message(400, "interval must be a number of seconds") from None
    return (
        seconds,
        _date(start, "start_date") if start is not None else None,
        _date(end, "end_date") if end is not None else None,
    )


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@router.get("/api/performance/framework/", summary="Enabled performance frameworks")
def list_frameworks(db: Database = Depends(get_db)) -> ORJSONResponse:
    f = t.performance_framework
    with db.read() as conn:
        rows = conn.execute(select(f.c.id, f.c.name).where(f.c.enabled.is_(True)).order_by(f.c.id)).all()
    return ORJSONResponse([{"id": i, "name": name} for i, name in rows])


@functools.cache
def _signature_select() -> Select:
    """The signature columns as upstream serialises them (built once: aliasing a table builds new Column objects)."""
    s, parent, oc, mp = (
        t.performance_signature,
        t.performance_signature.alias("parent"),
        t.option_collection,
        t.machine_platform,
    )
    return (
        select(
            s.c.id,
            s.c.signature_hash,
            s.c.framework_id,
            oc.c.option_collection_hash,
            mp.c.platform,
            s.c.suite,
            s.c.test,
            s.c.lower_is_better,
            s.c.has_subtests,
            parent.c.signature_hash.label("parent_hash"),
            s.c.tags,
            s.c.extra_options,
            s.c.measurement_unit,
            s.c.application,
            s.c.should_alert,
        )
        .join(oc, oc.c.id == s.c.option_collection_id)
        .join(mp, mp.c.id == s.c.platform_id)
        .outerjoin(parent, parent.c.id == s.c.parent_signature_id)
    )


def signature_json(row: Any) -> dict[str, Any]:
    """A signature (a row of `_signature_select()`) as upstream HEAD serialises it: optional fields only when they
    differ from the default."""
    # Unpacked by position: a repository can have thousands of signatures, and a Row's attribute lookups cost
    # several times more than the rest of this function.
    (
        sig_id,
        signature_hash,
        framework_id,
        option_collection_hash,
        platform,
        suite,
        test,
        lower_is_better,
        has_subtests,
        parent_hash,
        tags,
        extra_options,
        measurement_unit,
        application,
        should_alert,
    ) = row
    out: dict[str, Any] = {
        "id": sig_id,
        "signature_hash": signature_hash,
        "framework_id": framework_id,
        "option_collection_hash": option_collection_hash,
        "machine_platform": platform,
        "suite": suite,
        # SQLite's driver gives booleans as 0/1.
        "should_alert": None if should_alert is None else bool(should_alert),
    }
    if test:
        out["test"] = test
    if not lower_is_better:
        out["lower_is_better"] = False
    if has_subtests:
        out["has_subtests"] = True
    if parent_hash:
        out["parent_signature"] = parent_hash
    if tags:
        out["tags"] = tags.split(" ")
    if extra_options:
        out["extra_options"] = extra_options.split(" ")
    if measurement_unit:
        out["measurement_unit"] = measurement_unit
    if application:
        out["application"] = application
    return out


@router.get(
    "/api/project/{project}/performance/signatures/",
    summary="Performance signatures (series) of a repository, keyed by signature id",
    responses={200: {"content": {"application/json": {"example": SIGNATURE_EXAMPLE}}}},
)
def list_signatures(
    request: Request, project: ProjectRef = Depends(project_from_path), db: Database = Depends(get_db)
) -> ORJSONResponse:
    s = t.performance_signature
    params = request.query_params
    ids = _ints(request, "id", "One or more id values invalid (must be integer)")
    frameworks = _ints(request, "framework", "One or more framework values invalid (must be integer)")
    interval, start, end = _time_window(request)
    query = _signature_select().where(s.c.repository_id == project.id)
    if ids:
        query = query.where(s.c.id.in_(ids))
    if frameworks:
        query = query.where(s.c.framework_id.in_(frameworks))
    if params.getlist("signature"):
        query = query.where(s.c.signature_hash.in_(params.getlist("signature")))
    if params.getlist("parent_signature"):
        parents = select(t.performance_signature.c.id).where(
            t.performance_signature.c.repository_id == project.id,
            t.performance_signature.c.signature_hash.in_(params.getlist("parent_signature")),
        )
        query = query.where(s.c.parent_signature_id.in_(parents))
    if params.get("platform"):
        query = query.where(t.machine_platform.c.platform == params["platform"])
    if params.get("subtests") == "0":
        query = query.where(s.c.parent_signature_id.is_(None))
    version_query = select(*modification_version(db.dialect, s.c.last_modified)).where(s.c.repository_id == project.id)
    if interval is not None:
        cutoff = datetime.fromtimestamp(time.time() - interval, UTC).replace(tzinfo=None)
        query = query.where(s.c.last_updated >= cutoff)
        # Signatures leave the window as time passes, with no write to tell: their number is part of the version.
        recent = select(func.count()).where(s.c.repository_id == project.id, s.c.last_updated >= cutoff)
        version_query = version_query.add_columns(recent.scalar_subquery())
    if start is not None:
        query = query.where(s.c.last_updated >= start)
    if end is not None:
        query = query.where(s.c.last_updated <= end)

    def build(conn: Connection) -> bytes:
        result = conn.execute(query.order_by(s.c.id))
        rows = result.cursor.fetchall()
        result.close()
        return ORJSONResponse.dump({row[0]: signature_json(row) for row in rows})

    # Every write of a signature sets its last_modified (perf/store.py); the version covers the whole repository (a
    # superset of any filter).
    return cached_json(request, db, lambda conn: tuple(conn.execute(version_query).one()), build)


@router.get(
    "/api/project/{project}/performance/data/",
    summary="Performance data points, grouped by signature hash",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "78aaeaf7d3a0170f8a1fb0c4dc34ca276da47e1c": [
                            {
                                "id": 1,
                                "signature_id": 4211,
                                "job_id": 12,
                                "push_id": 3,
                                "revision": "9c6e4c31ad26efdad0b9af47a2b530bc414ce2c3",
                                "push_timestamp": 1700000000,
                                "value": 302.55,
                            }
                        ]
                    }
                }
            }
        }
    },
)
def list_data(
    request: Request, project: ProjectRef = Depends(project_from_path), db: Database = Depends(get_db)
) -> ORJSONResponse:
    params = request.query_params
    signature_ids = _ints(request, "signature_id", "Signature id(s) must be specified as integers")
    hashes = params.getlist("signatures")
    push_ids = _ints(request, "push_id", "Push id(s) must be specified as integers")
    job_ids = _ints(request, "job_id", "Job id(s) must be specified as integers")
    if not (signature_ids or hashes or push_ids or job_ids):
        raise APIError(400, ["Need to specify either signature_id, signatures, push_id, or job_id"])
    if signature_ids and hashes:
        raise APIError(400, ["Can't specify both signature_id and signatures in same query"])
    frameworks = _ints(request, "framework", "Framework id(s) must be specified as integers")
    interval, start, end = _time_window(request)

    d, s = t.performance_datum, t.performance_signature
    # Only the datum table is read for the points (in its (signature, time) index order where a signature is given);
    # signature hashes and push revisions are looked up once per distinct id instead of joined into every row.
    window: list[Any] = []
    if interval is not None:
        window.append(d.c.push_timestamp > int(time.time()) - interval)
    if start is not None:
        window.append(d.c.push_timestamp >= _epoch(start))
    if end is not None:
        window.append(d.c.push_timestamp <= _epoch(end))
    query = select(d.c.id, d.c.signature_id, d.c.job_id, d.c.push_id, d.c.push_timestamp, d.c.value).where(
        d.c.repository_id == project.id, *window
    )
    if signature_ids:
        query = query.where(d.c.signature_id.in_(signature_ids))
    if hashes or frameworks:
        chosen = select(s.c.id).where(s.c.repository_id == project.id)
        if hashes:
            chosen = chosen.where(s.c.signature_hash.in_(hashes))
        if frameworks:
            chosen = chosen.where(s.c.framework_id.in_(frameworks))
        query = query.where(d.c.signature_id.in_(chosen))
    if push_ids:
        query = query.where(d.c.push_id.in_(push_ids))
    if job_ids:
        query = query.where(d.c.job_id.in_(job_ids))
    no_retriggers = params.get("no_retriggers", "").lower() in ("1", "true")

    def build(conn: Connection) -> bytes:
        result = conn.execute(query.order_by(d.c.push_timestamp, d.c.id))
        rows = result.cursor.fetchall()  # plain driver tuples: ints, floats and strings need no processing
        result.close()
        hashes_by_id = _column_by_id(conn, s.c.signature_hash, {row[1] for row in rows})
        revisions = _column_by_id(conn, t.push.c.revision, {row[3] for row in rows})
        out: dict[str, list[dict[str, Any]]] = {}
        seen: set[tuple[int, int]] = set()
        for datum_id, signature_id, job_id, push_id, push_timestamp, value in rows:
            if no_retriggers:
                key = (signature_id, push_id)
                if key in seen:
                    continue
                seen.add(key)
            signature_hash = hashes_by_id[signature_id]
            series = out.get(signature_hash)
            if series is None:
                series = out[signature_hash] = []
            series.append(
                {
                    "id": datum_id,
                    "signature_id": signature_id,
                    "job_id": job_id,
                    "push_id": push_id,
                    "revision": revisions[push_id],
                    "push_timestamp": push_timestamp,
                    "value": round(value, 2),
                }
            )
        return ORJSONResponse.dump(out)

    def version(conn: Connection) -> tuple:
        # The graphs ask for the same series again and again. Points are only added, deleted, or lose their job
        # when it expires, so the count and job-id sum of the points in the window (read from the (signature, time,
        # job) index alone) change with every change to the body.
        return tuple(conn.execute(_DATA_VERSION.where(d.c.signature_id.in_(signature_ids), *window)).one())

    return cached_json(request, db, version if signature_ids else None, build)


_DATA_VERSION = select(func.count(), func.sum(t.performance_datum.c.job_id))


def _column_by_id(conn: Connection, column: Any, ids: set[int]) -> dict[int, Any]:
    """id -> `column` for the rows of `column`'s table with these ids."""
    if not ids:
        return {}
    table = column.table
    return dict(conn.execute(select(table.c.id, column).where(table.c.id.in_(sorted(ids)))).all())


@router.get("/api/project/{project}/performance/platforms/", summary="Machine platforms with performance data")
def list_platforms(
    request: Request, project: ProjectRef = Depends(project_from_path), db: Database = Depends(get_db)
) -> ORJSONResponse:
    s, mp = t.performance_signature, t.machine_platform
    frameworks = _ints(request, "framework", "Framework id(s) must be specified as integers")
    interval, _start, _end = _time_window(request)
    query = select(mp.c.platform).join(s, s.c.platform_id == mp.c.id).where(s.c.repository_id == project.id)
    if frameworks:
        query = query.where(s.c.framework_id.in_(frameworks))
    if interval is not None:
        query = query.where(
            s.c.last_updated >= datetime.fromtimestamp(time.time() - interval, UTC).replace(tzinfo=None)
        )
    with db.read() as conn:
        platforms = conn.execute(query.distinct().order_by(mp.c.platform)).scalars().all()
    return ORJSONResponse(list(platforms))


@router.get("/api/project/{project}/performance/job-data/", summary="All performance data of one job")
def job_data(
    request: Request, project: ProjectRef = Depends(project_from_path), db: Database = Depends(get_db)
) -> ORJSONResponse:
    raw = request.query_params.get("job_id")
    try:
        job_id = int(raw) if raw is not None else None
    except ValueError:
        job_id = None
    if job_id is None:
        raise message(400, "Job id must be specified as integers")
    d, p, s = t.performance_datum, t.push, t.performance_signature
    with db.read() as conn:
        rows = conn.execute(
            select(d.c.id, d.c.value, d.c.push_id, d.c.push_timestamp, p.c.revision, d.c.signature_id)
            .join(p, p.c.id == d.c.push_id)
            .where(d.c.repository_id == project.id, d.c.job_id == job_id)
            .order_by(d.c.id)
        ).all()
        if not rows:
            raise message(400, f"No data found for job_id={job_id}")
        signatures = {
            row.id: signature_json(row)
            for row in conn.execute(_signature_select().where(s.c.id.in_({r.signature_id for r in rows})))
        }
    first = rows[0]
    return ORJSONResponse(
        {
            "job_id": job_id,
            "push_id": first.push_id,
            "push_timestamp": first.push_timestamp,
            "revision": first.revision,
            "data": [
                {"id": r.id, "value": round(r.value, 2), "signature_data": signatures[r.signature_id]} for r in rows
            ],
        }
    )


@router.get("/api/performance/summary/", summary="Series with their values for a push or a time range")
def performance_summary(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    params = request.query_params
    repository = params.get("repository")
    if not repository:
        raise APIError(400, {"repository": ["This field is required."]})
    revision = params.get("revision")
    startday, endday = params.get("startday"), params.get("endday")
    interval_raw = params.get("interval")
    if not revision and interval_raw is None and not (startday and endday):
        raise APIError(400, {"non_field_errors": ["Required: revision, startday and endday or interval."]})
    flags = {
        name: params.get(name, "").lower() in ("1", "true")
        for name in ("no_subtests", "all_data", "replicates", "no_retriggers")
    }
    frameworks = _ints(request, "framework", "Framework id(s) must be specified as integers")
    d, s, p, r, oc, mp = (
        t.performance_datum,
        t.performance_signature,
        t.push,
        t.repository,
        t.option_collection,
        t.machine_platform,
    )
    with db.read() as conn:
        repo = conn.execute(select(r.c.id).where(r.c.name == repository)).first()
        if repo is None:
            raise APIError(400, {"repository": [f"{repository} does not exist."]})
        parent = s.alias("parent")
        query = (
            select(
                d.c.id,
                d.c.job_id,
                d.c.push_id,
                d.c.push_timestamp,
                d.c.value,
                p.c.revision,
                s.c.id.label("signature_id"),
                s.c.framework_id,
                s.c.signature_hash,
                mp.c.platform,
                s.c.test,
                s.c.suite,
                s.c.lower_is_better,
                s.c.has_subtests,
                s.c.tags,
                s.c.extra_options,
                oc.c.options,
                parent.c.signature_hash.label("parent_hash"),
                s.c.measurement_unit,
                s.c.application,
                s.c.should_alert,
                s.c.alert_change_type,
                s.c.alert_threshold,
            )
            .join(s, s.c.id == d.c.signature_id)
            .join(p, p.c.id == d.c.push_id)
            .join(oc, oc.c.id == s.c.option_collection_id)
            .join(mp, mp.c.id == s.c.platform_id)
            .outerjoin(parent, parent.c.id == s.c.parent_signature_id)
            .where(d.c.repository_id == repo.id)
        )
        if revision and not flags["all_data"]:
            query = query.where(p.c.revision == revision)
        elif interval_raw is not None and not flags["all_data"]:
            try:
                interval = int(float(interval_raw))
            except ValueError:
                raise APIError(400, {"interval": ["A valid integer is required."]}) from None
            query = query.where(d.c.push_timestamp >= int(time.time()) - interval)
        elif startday and endday and not flags["all_data"]:
            query = query.where(
                d.c.push_timestamp >= _epoch(_date(startday, "startday")),
                d.c.push_timestamp <= _epoch(_date(endday, "endday")),
            )
        if frameworks:
            query = query.where(s.c.framework_id.in_(frameworks))
        if flags["no_subtests"]:
            query = query.where(s.c.parent_signature_id.is_(None))
        if params.get("parent_signature"):
            query = query.where(parent.c.id == _ints(request, "parent_signature", "parent_signature must be an id")[0])
        signature = params.get("signature")
        if signature:
            if len(signature) == 40:
                query = query.where(s.c.signature_hash == signature)
            else:
                query = query.where(s.c.id == _ints(request, "signature", "signature must be an id or a hash")[0])
        rows = conn.execute(query.order_by(d.c.push_timestamp, d.c.id)).all()
        replicates: dict[int, list[float]] = {}
        if flags["replicates"] and rows:
            rep = t.performance_datum_replicate
            ids = [row.id for row in rows]
            for start in range(0, len(ids), 500):
                for datum_id, value in conn.execute(
                    select(rep.c.performance_datum_id, rep.c.value).where(
                        rep.c.performance_datum_id.in_(ids[start : start + 500])
                    )
                ):
                    replicates.setdefault(datum_id, []).append(value)
    series: dict[int, dict[str, Any]] = {}
    seen_pushes: set[tuple[int, int]] = set()
    for row in rows:
        if flags["no_retriggers"]:
            if (row.signature_id, row.push_id) in seen_pushes:
                continue
            seen_pushes.add((row.signature_id, row.push_id))
        entry = series.get(row.signature_id)
        if entry is None:
            name = " ".join(part for part in (row.suite, row.test, row.options, row.extra_options) if part)
            entry = series[row.signature_id] = {
                "signature_id": row.signature_id,
                "framework_id": row.framework_id,
                "signature_hash": row.signature_hash,
                "platform": row.platform,
                "test": row.test,
                "suite": row.suite,
                "lower_is_better": row.lower_is_better,
                "has_subtests": row.has_subtests,
                "tags": row.tags.split(" ") if row.tags else [],
                "values": [],
                "name": name,
                "parent_signature": row.parent_hash,
                "job_ids": [],
                "repository_name": repository,
                "repository_id": repo.id,
                "data": [],
                "measurement_unit": row.measurement_unit,
                "application": row.application,
                "should_alert": row.should_alert,
                "alert_change_type": row.alert_change_type,
                "alert_threshold": row.alert_threshold,
                "submit_times": [],
            }
        values = replicates.get(row.id, [row.value]) if flags["replicates"] else [row.value]
        entry["values"].extend(values)
        entry["job_ids"].append(row.job_id)
        entry["submit_times"].append(row.push_timestamp)
        if flags["all_data"]:
            entry["data"].append(
                {
                    "job_id": row.job_id,
                    "id": row.id,
                    "value": round(row.value, 2),
                    "push_timestamp": row.push_timestamp,
                    "push_id": row.push_id,
                    "revision": row.revision,
                }
            )
    return ORJSONResponse(list(series.values()))


@router.get("/api/performance/issue-tracker/", summary="Issue trackers alert summaries can link to")
def list_issue_trackers(db: Database = Depends(get_db)) -> ORJSONResponse:
    it = t.issue_tracker
    with db.read() as conn:
        rows = conn.execute(select(it.c.id, it.c.name, it.c.task_base_url).order_by(it.c.id)).all()
    return ORJSONResponse([{"id": i, "text": name, "task_base_url": url} for i, name, url in rows])


@router.get("/api/performance/tag/", summary="Performance tags in use on alert summaries")
def list_performance_tags(db: Database = Depends(get_db)) -> ORJSONResponse:
    # Tags are stored space-separated on each summary; the list is the distinct words, numbered by name.
    s = t.performance_alert_summary
    with db.read() as conn:
        texts = conn.execute(select(s.c.performance_tags).where(s.c.performance_tags != "").distinct()).scalars().all()
    names = sorted({word for text in texts for word in text.split()})
    return ORJSONResponse([{"id": i, "name": name} for i, name in enumerate(names, start=1)])
