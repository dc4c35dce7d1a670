"""SQL for the job lists: the columns each list returns, upstream's job filters, and row serialisation.

Shared by the project jobs list, ``similar_jobs``, the global ``/api/jobs/`` and anything else that lists jobs (the web
UI, benchmarks). Every filter is expressed on the ``job`` table itself (reference-table filters become
``IN (SELECT id ...)`` over the small reference tables), so counting needs no joins and the page query joins the
reference tables only to read their columns. Rows come back as plain tuples and are serialised by orjson as they are.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from treeherder.api.cache import modification_version
from treeherder.api.errors import bare
from treeherder.api.params import (
    ENTER_A_DATETIME,
    ENTER_A_NUMBER,
    FieldErrors,
    QueryParam,
    parse_int_list,
    parse_iso_datetime,
    parse_number,
    parse_timestamp,
    to_unix,
)
from treeherder.db import tables as t

j = t.job
bp = t.build_platform
mp = t.machine_platform
jg = t.job_group
jt = t.job_type
mach = t.machine
oc = t.option_collection
sig = t.reference_data_signature
tcm = t.taskcluster_metadata


class iso_datetime(FunctionElement):
    """A naive UTC DateTime column as the API serves it, produced by the database where that saves work per row.

    SQLite stores ``YYYY-MM-DD HH:MM:SS.ffffff`` text, which SQLAlchemy would parse into a datetime for orjson to
    print again; here SQLite prints upstream's ISO form itself (``T`` separator, no fraction when it is zero).
    PostgreSQL's driver already returns datetimes cheaply, so the column is left as it is there.
    """

    type = String()
    inherit_cache = True
    name = "iso_datetime"


@compiles(iso_datetime)
def _iso_datetime_default(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(iso_datetime, "sqlite")
def _iso_datetime_sqlite(element, compiler, **kw):
    column = compiler.process(element.clauses.clauses[0], **kw)
    return (
        f"CASE WHEN substr({column}, 20) = '.000000' THEN replace(substr({column}, 1, 19), ' ', 'T') "
        f"ELSE replace({column}, ' ', 'T') END"
    )


def plan_in_written_order(conn) -> None:
    """Let PostgreSQL keep the join order as written (job first, then reference rows by primary key).

    With eight joined tables its join search costs tens of milliseconds per query, more than running the query;
    the written order is already the best plan. Applies to the current transaction only.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL join_collapse_limit = 1")


def fetch_tuples(conn, stmt, *, joined: bool = True) -> list[tuple]:
    """Rows of a job select as the driver's plain tuples (`joined`: with the reference tables, planned in written
    order).

    Only for statements whose columns need no result processing (integers, strings, :class:`iso_datetime`): the
    list endpoints skip SQLAlchemy's per-row Row objects this way, which is most of their cost on large pages.
    """
    if joined:
        plan_in_written_order(conn)
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


# --- the columns of the project jobs list (dict mode keys / list mode job_property_names, in upstream's order) -----

PROJECT_JOB_COLUMNS: tuple[tuple[str, ColumnElement], ...] = (
    ("build_architecture", bp.c.architecture),
    ("build_os", bp.c.os_name),
    ("build_platform", bp.c.platform),
    ("build_platform_id", j.c.build_platform_id),
    ("build_system_type", sig.c.build_system_type),
    ("end_timestamp", j.c.end_timestamp),
    ("failure_classification_id", j.c.failure_classification_id),
    ("id", j.c.id),
    ("job_group_description", jg.c.description),
    ("job_group_id", j.c.job_group_id),
    ("job_group_name", jg.c.name),
    ("job_group_symbol", jg.c.symbol),
    ("job_guid", j.c.guid),
    ("job_type_description", jt.c.description),
    ("job_type_id", j.c.job_type_id),
    ("job_type_name", jt.c.name),
    ("job_type_symbol", jt.c.symbol),
    ("last_modified", iso_datetime(j.c.last_modified)),
    ("machine_name", mach.c.name),
    ("machine_platform_architecture", mp.c.architecture),
    ("machine_platform_os", mp.c.os_name),
    ("option_collection_hash", oc.c.option_collection_hash),
    ("platform", mp.c.platform),
    ("push_id", j.c.push_id),
    ("reason", j.c.reason),
    ("ref_data_name", sig.c.name),
    ("result", j.c.result),
    ("result_set_id", j.c.push_id),
    ("signature", sig.c.signature),
    ("start_timestamp", j.c.start_timestamp),
    ("state", j.c.state),
    ("submit_timestamp", j.c.submit_timestamp),
    ("tier", j.c.tier),
    ("who", j.c.who),
    ("task_id", tcm.c.task_id),
    ("retry_id", tcm.c.retry_id),
    ("platform_option", oc.c.options),
)
JOB_PROPERTY_NAMES: list[str] = [name for name, _ in PROJECT_JOB_COLUMNS]

# The compact rows of the global /api/jobs/ (duration is computed from the three timestamps selected after them).
GLOBAL_JOB_PROPERTY_NAMES: list[str] = [
    "failure_classification_id", "id", "job_group_name", "job_group_symbol", "job_type_name", "job_type_symbol",
    "last_modified", "platform", "push_id", "push_revision", "result", "signature", "state", "tier", "task_id",
    "retry_id", "duration", "platform_option",
]  # fmt: skip
_GLOBAL_COLUMNS = (
    j.c.failure_classification_id, j.c.id, jg.c.name, jg.c.symbol, jt.c.name, jt.c.symbol, iso_datetime(j.c.last_modified),
    mp.c.platform, j.c.push_id, t.push.c.revision, j.c.result, sig.c.signature, j.c.state, j.c.tier, tcm.c.task_id,
    tcm.c.retry_id, j.c.submit_timestamp, j.c.start_timestamp, j.c.end_timestamp, oc.c.options,
)  # fmt: skip


def _joined(columns: Sequence[ColumnElement], *, with_push: bool = False) -> Select:
    """SELECT columns FROM job joined to every reference table a job list reads."""
    source = (
        j.join(bp, bp.c.id == j.c.build_platform_id)
        .join(mp, mp.c.id == j.c.machine_platform_id)
        .join(mach, mach.c.id == j.c.machine_id)
        .join(jg, jg.c.id == j.c.job_group_id)
        .join(jt, jt.c.id == j.c.job_type_id)
        .join(oc, oc.c.id == j.c.option_collection_id)
        .join(sig, sig.c.id == j.c.signature_id)
        .outerjoin(tcm, tcm.c.job_id == j.c.id)
    )
    if with_push:
        source = source.join(t.push, t.push.c.id == j.c.push_id)
    return select(*columns).select_from(source)


# --- the project jobs list without joins: job rows plus reference rows kept in memory -------------------------------

# The served columns of each reference table a job row points at, in the order _assemble reads them.
_REFERENCE_COLUMNS: dict[str, tuple[ColumnElement, ...]] = {
    "build_platform": (bp.c.architecture, bp.c.os_name, bp.c.platform),
    "machine_platform": (mp.c.architecture, mp.c.os_name, mp.c.platform),
    "machine": (mach.c.name,),
    "job_group": (jg.c.description, jg.c.name, jg.c.symbol),
    "job_type": (jt.c.description, jt.c.name, jt.c.symbol),
    "option_collection": (oc.c.option_collection_hash, oc.c.options),
    "reference_data_signature": (sig.c.build_system_type, sig.c.name, sig.c.signature),
}
# Which column of a page row holds each reference table's id.
_REFERENCE_ID_POSITION = {name: position for position, name in enumerate(_REFERENCE_COLUMNS, start=1)}
_PAGE_COLUMNS = (
    j.c.id, j.c.build_platform_id, j.c.machine_platform_id, j.c.machine_id, j.c.job_group_id, j.c.job_type_id,
    j.c.option_collection_id, j.c.signature_id, j.c.end_timestamp, j.c.failure_classification_id, j.c.guid,
    iso_datetime(j.c.last_modified), j.c.push_id, j.c.reason, j.c.result, j.c.start_timestamp, j.c.state,
    j.c.submit_timestamp, j.c.tier, j.c.who, tcm.c.task_id, tcm.c.retry_id,
)  # fmt: skip


def project_page_select() -> Select:
    """The job-table columns of the project jobs list (no reference joins); turn pages into rows with
    :meth:`ReferenceRows.project_rows`."""
    return select(*_PAGE_COLUMNS).select_from(j.outerjoin(tcm, tcm.c.job_id == j.c.id))


def _assemble(rows: Sequence[tuple], maps: dict[str, dict[int, tuple]]) -> list[tuple]:
    """Page rows as project job rows (``JOB_PROPERTY_NAMES`` order). Raises KeyError for an unknown reference id."""
    bps, mps, machines = maps["build_platform"], maps["machine_platform"], maps["machine"]
    groups, types, options, signatures = (
        maps["job_group"], maps["job_type"], maps["option_collection"], maps["reference_data_signature"]
    )  # fmt: skip
    out = []
    append = out.append
    for (
        job_id, bp_id, mp_id, machine_id, group_id, type_id, option_id, signature_id, end, classification, guid,
        modified, push_id, reason, result, start, state, submit, tier, who, task_id, retry_id,
    ) in rows:  # fmt: skip
        b, m, g, ty, o, s = bps[bp_id], mps[mp_id], groups[group_id], types[type_id], options[option_id], signatures[signature_id]
        append((
            b[0], b[1], b[2], bp_id, s[0], end, classification, job_id, g[0], group_id, g[1], g[2], guid, ty[0],
            type_id, ty[1], ty[2], modified, machines[machine_id][0], m[0], m[1], o[0], m[2], push_id, reason, s[1],
            result, push_id, s[2], start, state, submit, tier, who, task_id, retry_id, o[1],
        ))  # fmt: skip
    return out


class ReferenceRows:
    """The reference rows job lists show (platforms, machines, groups, types, options, signatures), by id.

    Joining seven reference tables into every row of a 2,000-job page costs the database more than the page itself;
    these rows are never changed once written and their ids are never reused (``cycle_reference_data`` keeps each
    table's newest row), so each process reads a row once and keeps it. Ids a page needs and the process has not
    seen are read in one query per table.
    """

    def __init__(self) -> None:
        self._maps: dict[str, dict[int, tuple]] = {name: {} for name in _REFERENCE_COLUMNS}

    def project_rows(self, conn, page: Sequence[tuple]) -> list[tuple]:
        """Rows of :func:`project_page_select` as project job rows (``JOB_PROPERTY_NAMES`` order)."""
        try:
            return _assemble(page, self._maps)
        except KeyError:
            self._read_missing(conn, page)
            return _assemble(page, self._maps)

    def _read_missing(self, conn, page: Sequence[tuple]) -> None:
        for name, columns in _REFERENCE_COLUMNS.items():
            known, position = self._maps[name], _REFERENCE_ID_POSITION[name]
            missing = {row[position] for row in page} - known.keys()
            if missing:
                table = columns[0].table
                found = conn.execute(select(table.c.id, *columns).where(table.c.id.in_(sorted(missing))))
                known.update((row[0], tuple(row[1:])) for row in found)


def project_jobs_select() -> Select:
    """The project-jobs columns (``JOB_PROPERTY_NAMES`` order); add filters, ordering and a slice."""
    return _joined([column for _, column in PROJECT_JOB_COLUMNS])


def global_jobs_select() -> Select:
    """The global /api/jobs/ columns; turn each row into a compact row with :func:`global_row`."""
    return _joined(_GLOBAL_COLUMNS, with_push=True)


# --- serialisation ------------------------------------------------------------------------------------------------


def job_duration_minutes(submit: int, start: int, end: int, now: float | None = None) -> int:
    """Upstream's job duration in minutes: end (or now) minus start (or submit), at least one minute."""
    finished = end if end else (now if now is not None else time.time())
    started = start if start else submit
    seconds = max(finished - started, 60)
    return max(round(seconds / 60), 1)


def project_rows(rows: Sequence[Sequence[Any]], return_type: str) -> list:
    """Rows of :func:`project_jobs_select` as dicts (default) or as lists (``return_type=list``)."""
    if return_type == "list":
        return rows if isinstance(rows, list) and (not rows or type(rows[0]) is tuple) else [tuple(row) for row in rows]
    names = JOB_PROPERTY_NAMES
    return [dict(zip(names, row)) for row in rows]


def global_rows(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    """Rows of :func:`global_jobs_select` in the ``GLOBAL_JOB_PROPERTY_NAMES`` layout."""
    now = time.time()
    out = []
    for row in rows:
        submit, start, end = row[16], row[17], row[18]
        out.append((*row[:16], job_duration_minutes(submit, start, end, now), row[19]))
    return out


# --- filters ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Filter:
    kind: str  # "str", "int", "datetime" (a DateTime column), "seconds" (a Unix-seconds column given as ISO)
    target: Any  # a job column, or (job column, reference table, reference column) for reference-data filters
    ranges: bool = False


def _ref(job_column: ColumnElement, table, column_name: str) -> tuple:
    return (job_column, table, table.c[column_name])


_FILTERS: dict[str, _Filter] = {
    "id": _Filter("int", j.c.id, ranges=True),
    "tier": _Filter("int", j.c.tier, ranges=True),
    "push_id": _Filter("int", j.c.push_id, ranges=True),
    "job_guid": _Filter("str", j.c.guid),
    "build_platform_id": _Filter("int", j.c.build_platform_id),
    "job_group_id": _Filter("int", j.c.job_group_id),
    "job_type_id": _Filter("int", j.c.job_type_id),
    "failure_classification_id": _Filter("int", j.c.failure_classification_id),
    "reason": _Filter("str", j.c.reason),
    "state": _Filter("str", j.c.state),
    "result": _Filter("str", j.c.result),
    "who": _Filter("str", j.c.who),
    "build_architecture": _Filter("str", _ref(j.c.build_platform_id, bp, "architecture")),
    "build_os": _Filter("str", _ref(j.c.build_platform_id, bp, "os_name")),
    "build_platform": _Filter("str", _ref(j.c.build_platform_id, bp, "platform")),
    "build_system_type": _Filter("str", _ref(j.c.signature_id, sig, "build_system_type")),
    "job_group_name": _Filter("str", _ref(j.c.job_group_id, jg, "name")),
    "job_group_symbol": _Filter("str", _ref(j.c.job_group_id, jg, "symbol")),
    "job_type_name": _Filter("str", _ref(j.c.job_type_id, jt, "name")),
    "job_type_symbol": _Filter("str", _ref(j.c.job_type_id, jt, "symbol")),
    "machine_name": _Filter("str", _ref(j.c.machine_id, mach, "name")),
    "machine_platform_architecture": _Filter("str", _ref(j.c.machine_platform_id, mp, "architecture")),
    "machine_platform_os": _Filter("str", _ref(j.c.machine_platform_id, mp, "os_name")),
    "platform": _Filter("str", _ref(j.c.machine_platform_id, mp, "platform")),
    "ref_data_name": _Filter("str", _ref(j.c.signature_id, sig, "name")),
    "signature": _Filter("str", _ref(j.c.signature_id, sig, "signature")),
    "option_collection_hash": _Filter("str", _ref(j.c.option_collection_id, oc, "option_collection_hash")),
    "task_id": _Filter("str", _ref(j.c.id, tcm, "task_id")),
    "retry_id": _Filter("int", _ref(j.c.id, tcm, "retry_id")),
    "last_modified": _Filter("datetime", j.c.last_modified, ranges=True),
    "submit_time": _Filter("seconds", j.c.submit_timestamp, ranges=True),
    "start_time": _Filter("seconds", j.c.start_timestamp, ranges=True),
    "end_time": _Filter("seconds", j.c.end_timestamp, ranges=True),
}
_LIST_FILTERS: dict[str, tuple[str, ColumnElement]] = {
    "id__in": ("int", j.c.id),
    "push_id__in": ("int", j.c.push_id),
    "tier__in": ("int", j.c.tier),
    "job_guid__in": ("str", j.c.guid),
}
_RANGE_OPS = {
    "lt": lambda col, v: col < v,
    "lte": lambda col, v: col <= v,
    "gt": lambda col, v: col > v,
    "gte": lambda col, v: col >= v,
    "": lambda col, v: col == v,
}
_LEGACY_TIMESTAMPS = {"submit_timestamp": "submit_time", "start_timestamp": "start_time", "end_timestamp": "end_time"}


def _clause(spec: _Filter, op: str, value: Any) -> ColumnElement[bool]:
    compare = _RANGE_OPS[op]
    if isinstance(spec.target, tuple):
        job_column, table, column = spec.target
        key = table.c.job_id if table is tcm else table.c.id
        return job_column.in_(select(key).where(compare(column, value)))
    return compare(spec.target, value)


def normalise_legacy_params(params: Mapping[str, str]) -> dict[str, str]:
    """Upstream's backwards-compatibility renames: ``result_set_id*`` -> ``push_id*``."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if key.startswith("result_set_id"):
            key = "push_id" + key[len("result_set_id") :]
        out[key] = value
    return out


def check_last_modified(params: Mapping[str, str]) -> None:
    """Upstream's sanity check of ``last_modified*`` values: a bare-string 400 when one is not a date."""
    for key, value in params.items():
        if key.startswith("last_modified") and parse_iso_datetime(value) is None:
            raise bare(400, f"Invalid date value for `last_modified`: {value}")


def job_filter_clauses(params: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """WHERE clauses on the ``job`` table for upstream's job filters (unknown parameters are ignored).

    Raises :class:`FieldErrors` (400, ``{"field": ["message"]}``) for values that are not of the filter's type.
    """
    clauses: list[ColumnElement[bool]] = []
    errors: dict[str, list[str]] = {}
    for key, raw in params.items():
        if raw == "":
            continue  # django-filter ignores empty values
        if key in _LIST_FILTERS:
            kind, column = _LIST_FILTERS[key]
            if kind == "int":
                values = parse_int_list(raw)
                if values is None:
                    errors[key] = [ENTER_A_NUMBER]
                    continue
            else:
                values = [v.strip() for v in raw.split(",") if v.strip()]
            if values:
                clauses.append(column.in_(values))
            continue
        if key in _LEGACY_TIMESTAMPS:
            seconds = parse_timestamp(raw)
            if seconds is None:
                errors[key] = [ENTER_A_NUMBER]
            else:
                clauses.append(_FILTERS[_LEGACY_TIMESTAMPS[key]].target == seconds)
            continue
        name, _, op = key.partition("__")
        spec = _FILTERS.get(name)
        if spec is None or op not in _RANGE_OPS or (op and not spec.ranges):
            continue
        value: Any
        if spec.kind == "int":
            value = parse_number(raw)
            if value is None:
                errors[key] = [ENTER_A_NUMBER]
                continue
        elif spec.kind in ("datetime", "seconds"):
            moment = parse_iso_datetime(raw)
            if moment is None:
                errors[key] = [ENTER_A_DATETIME]
                continue
            value = moment if spec.kind == "datetime" else to_unix(moment) + moment.microsecond / 1e6
        else:
            value = raw
        clauses.append(_clause(spec, op, value))
    if errors:
        raise FieldErrors(errors)
    return clauses


def id_ordered_page(
    conn, stmt: Select, clauses: Sequence[ColumnElement[bool]], offset: int, count: int, *, joined: bool = True
) -> list[tuple]:
    """Rows ``offset .. offset+count`` of ``stmt`` (already filtered by ``clauses``) in ascending job id order.

    The offset is resolved first on the job table alone (an index range, no joins), then the page itself is read
    from that id on: the joined columns of skipped rows are never built, so deep pages cost what the first does.
    """
    if count <= 0:
        return []
    if offset:
        start = conn.execute(select(j.c.id).where(*clauses).order_by(j.c.id).offset(offset).limit(1)).scalar()
        if start is None:
            return []
        stmt = stmt.where(j.c.id >= start)
    return fetch_tuples(conn, stmt.order_by(j.c.id).limit(count), joined=joined)


def filtered_push_ids(params: Mapping[str, str]) -> list[int] | None:
    """The pushes a job list is restricted to (``push_id`` or ``push_id__in``), or None when it is not.

    Call after :func:`job_filter_clauses` has accepted the parameters."""
    if params.get("push_id"):
        number = parse_number(params["push_id"])
        return [number] if isinstance(number, int) else []
    if params.get("push_id__in"):
        return parse_int_list(params["push_id__in"]) or None
    return None


def push_jobs_version(conn, push_ids: Sequence[int]) -> tuple:
    """A value that changes whenever any job of these pushes is added, changed or deleted (an index-only read).

    Every column a job list serves either belongs to the job row (whose writers all touch ``last_modified``) or to
    reference rows that are never changed once written, so this is the version of any job list of these pushes."""
    stmt = select(*modification_version(conn.dialect.name, j.c.last_modified)).where(j.c.push_id.in_(list(push_ids)))
    return tuple(conn.execute(stmt).one())


def count_jobs(conn, clauses: Sequence[ColumnElement[bool]]) -> int:
    """Number of jobs matching the clauses (on the job table alone)."""
    return conn.execute(select(func.count()).select_from(j).where(*clauses)).scalar_one()


# --- documentation of the filters ---------------------------------------------------------------------------------


def _filter_docs() -> list[QueryParam]:
    docs = []
    for name, spec in _FILTERS.items():
        kind = {"int": "int", "str": "str", "datetime": "datetime", "seconds": "datetime"}[spec.kind]
        docs.append(QueryParam(name, kind, f"Jobs whose `{name}` equals this value."))
        if spec.ranges:
            for op, word in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")):
                docs.append(QueryParam(f"{name}__{op}", kind, f"Jobs whose `{name}` is {word} this value."))
    for name, (kind, _) in _LIST_FILTERS.items():
        base = name.removesuffix("__in")
        docs.append(QueryParam(name, f"{kind}_list", f"Jobs whose `{base}` is one of these comma-separated values."))
    return docs


JOB_FILTER_PARAMS: list[QueryParam] = _filter_docs()
LEGACY_JOB_FILTER_PARAMS: list[QueryParam] = [
    QueryParam(
        "result_set_id", "int", "Legacy name of `push_id` (also with `__lt`, `__lte`, `__gt`, `__gte`, `__in`)."
    ),
    QueryParam("submit_timestamp", "float", "Legacy: jobs submitted at exactly this Unix time."),
    QueryParam("start_timestamp", "float", "Legacy: jobs started at exactly this Unix time."),
    QueryParam("end_timestamp", "float", "Legacy: jobs that ended at exactly this Unix time."),
]
