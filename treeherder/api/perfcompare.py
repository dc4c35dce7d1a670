"""``GET /api/perfcompare/results/``: compare two pushes (or a push against a time range), Student-t mode.

Series of both sides are matched on what makes a series comparable across repositories:
framework, suite, test, platform, options, extra options and application. Each matched pair
becomes one row with the statistics of :func:`treeherder.perf.compare.compare_runs`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, select

from treeherder.api.deps import get_db
from treeherder.api.errors import APIError
from treeherder.api.responses import ORJSONResponse
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.perf.compare import VALID_INTERVALS, compare_runs

router = APIRouter(tags=["performance"])


def _push(conn: Connection, repository: str, revision: str) -> Any:
    p, r = t.push, t.repository
    return conn.execute(
        select(p.c.id, p.c.push_timestamp, p.c.revision, r.c.id.label("repository_id"))
        .join(r, r.c.id == p.c.repository_id)
        .where(r.c.name == repository, p.c.revision == revision)
    ).first()


def _series(
    conn: Connection,
    repository: str,
    *,
    push_id: int | None = None,
    since: int | None = None,
    until: int | None = None,
    framework: int | None = None,
    no_subtests: bool = False,
    parent_signature: int | None = None,
) -> dict[tuple, dict[str, Any]]:
    """Comparable key → {signature, values, job ids, replicates} for one side of the comparison."""
    d, s, r, oc, mp = (
        t.performance_datum,
        t.performance_signature,
        t.repository,
        t.option_collection,
        t.machine_platform,
    )
    query = (
        select(
            d.c.id,
            d.c.value,
            d.c.job_id,
            s.c.id.label("signature_id"),
            s.c.framework_id,
            s.c.suite,
            s.c.test,
            mp.c.platform,
            oc.c.options,
            s.c.extra_options,
            s.c.application,
            s.c.lower_is_better,
            s.c.measurement_unit,
            s.c.has_subtests,
            s.c.parent_signature_id,
        )
        .join(s, s.c.id == d.c.signature_id)
        .join(r, r.c.id == d.c.repository_id)
        .join(oc, oc.c.id == s.c.option_collection_id)
        .join(mp, mp.c.id == s.c.platform_id)
        .where(r.c.name == repository)
    )
    if push_id is not None:
        query = query.where(d.c.push_id == push_id)
    if since is not None:
        query = query.where(d.c.push_timestamp >= since)
    if until is not None:
        query = query.where(d.c.push_timestamp <= until)
    if framework is not None:
        query = query.where(s.c.framework_id == framework)
    if no_subtests:
        query = query.where(s.c.parent_signature_id.is_(None))
    if parent_signature is not None:
        query = query.where(s.c.parent_signature_id == parent_signature)
    rows = conn.execute(query.order_by(d.c.id)).all()
    replicate_values: dict[int, list[float]] = defaultdict(list)
    if rows:
        rep = t.performance_datum_replicate
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 500):
            for datum_id, value in conn.execute(
                select(rep.c.performance_datum_id, rep.c.value)
                .where(rep.c.performance_datum_id.in_(ids[start : start + 500]))
                .order_by(rep.c.id)
            ):
                replicate_values[datum_id].append(value)
    out: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row.framework_id, row.suite, row.test, row.platform, row.options, row.extra_options, row.application)
        entry = out.setdefault(key, {"row": row, "values": [], "job_ids": [], "replicates": []})
        entry["values"].append(row.value)
        if row.job_id is not None and row.job_id not in entry["job_ids"]:
            entry["job_ids"].append(row.job_id)
        entry["replicates"].extend(replicate_values.get(row.id, ()))
    return out


def _header_name(suite: str, test: str, options: str, extra_options: str, application: str) -> str:
    return " ".join(part for part in (suite, test, options, extra_options, application) if part)


def _int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise APIError(400, {name: ["A valid integer is required."]}) from None


@router.get("/api/perfcompare/results/", summary="Compare the performance of two pushes (Student-t)")
def compare_results(request: Request, db: Database = Depends(get_db)) -> ORJSONResponse:
    params = request.query_params
    missing = [name for name in ("base_repository", "new_repository", "new_revision") if not params.get(name)]
    if missing:
        raise APIError(400, {name: ["This field is required."] for name in missing})
    base_repository, new_repository = params["base_repository"], params["new_repository"]
    new_revision, base_revision = params["new_revision"], params.get("base_revision")
    interval = _int(request, "interval")
    if not base_revision and interval is None:
        raise APIError(400, {"non_field_errors": ["Field required: interval."]})
    if interval is not None and interval not in VALID_INTERVALS:
        raise APIError(400, {"interval": [f"Select a valid choice. {interval} is not one of the available choices."]})
    framework = _int(request, "framework")
    no_subtests = params.get("no_subtests", "").lower() in ("1", "true")
    use_replicates = params.get("replicates", "").lower() in ("1", "true")
    with db.read() as conn:
        new_push = _push(conn, new_repository, new_revision)
        if new_push is None:
            raise APIError(400, f"No new push with revision {new_revision} from repo {new_repository}.")
        base_push = None
        if base_revision:
            base_push = _push(conn, base_repository, base_revision)
            if base_push is None:
                raise APIError(400, f"No base push with revision {base_revision} from repo {base_repository}.")
        common = dict(framework=framework, no_subtests=no_subtests)
        new_side = _series(
            conn, new_repository, push_id=new_push.id, parent_signature=_int(request, "new_parent_signature"), **common
        )
        if base_push is not None:
            base_side = _series(
                conn,
                base_repository,
                push_id=base_push.id,
                parent_signature=_int(request, "base_parent_signature"),
                **common,
            )
        else:
            base_side = _series(
                conn,
                base_repository,
                since=new_push.push_timestamp - interval,
                until=new_push.push_timestamp,
                parent_signature=_int(request, "base_parent_signature"),
                **common,
            )
    rows = []
    for key in sorted(set(base_side) | set(new_side), key=lambda k: tuple(str(part) for part in k)):
        base, new = base_side.get(key), new_side.get(key)
        framework_id, suite, test, platform, options, extra_options, application = key
        described = (new or base)["row"]
        base_runs = base["values"] if base else []
        new_runs = new["values"] if new else []
        base_reps = base["replicates"] if base else []
        new_reps = new["replicates"] if new else []
        header = _header_name(suite, test, options, extra_options, application)
        stats = compare_runs(
            base_reps if use_replicates and base_reps else base_runs,
            new_reps if use_replicates and new_reps else new_runs,
            lower_is_better=described.lower_is_better,
            header_name=header,
        ).as_dict()
        signature_id = new["row"].signature_id if new else base["row"].signature_id
        graph_params = {"series": f"{new_repository},{signature_id},1,{framework_id}", "timerange": 1209600}
        rows.append(
            {
                "base_rev": base_revision or None,
                "new_rev": new_revision,
                "base_app": base["row"].application if base else "",
                "new_app": new["row"].application if new else "",
                "framework_id": framework_id,
                "platform": platform,
                "suite": suite,
                "test": test,
                "header_name": header,
                "base_repository_name": base_repository,
                "new_repository_name": new_repository,
                "is_complete": bool(base_runs) and bool(new_runs),
                "base_measurement_unit": base["row"].measurement_unit if base else None,
                "new_measurement_unit": new["row"].measurement_unit if new else None,
                "base_retriggerable_job_ids": base["job_ids"] if base else [],
                "new_retriggerable_job_ids": new["job_ids"] if new else [],
                "base_runs": base_runs,
                "new_runs": new_runs,
                "base_runs_replicates": base_reps,
                "new_runs_replicates": new_reps,
                "option_name": options,
                "extra_options": extra_options,
                "lower_is_better": described.lower_is_better,
                "noise_metric": False,
                "graphs_link": f"/perfherder/graphs?{urlencode(graph_params)}",
                "base_parent_signature": base["row"].parent_signature_id if base else None,
                "new_parent_signature": new["row"].parent_signature_id if new else None,
                "base_signature_id": base["row"].signature_id if base else None,
                "new_signature_id": new["row"].signature_id if new else None,
                "has_subtests": described.has_subtests,
                **stats,
            }
        )
    return ORJSONResponse(rows)
