"""PERFHERDER_DATA lines in a parsed text log become performance data of the job (PERF_DATA_FROM_LOGS)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sqlalchemy import func, select

from tests.work.conftest import store_job_with_log
from treeherder.db import tables as t
from treeherder.work.handlers import WorkContext, parse_log


def _serve_perf_log(log_server, shared_fixtures: Path) -> str:
    raw = (shared_fixtures / "perf" / "logs" / "android-opt-build.txt.gz").read_bytes()
    log_server.add_body("/android-opt-build.txt.gz", raw, {"Content-Type": "application/gzip"})
    return log_server.url("/android-opt-build.txt.gz")


def _expected_suites(shared_fixtures: Path) -> set[str]:
    objects = json.loads((shared_fixtures / "perf" / "perfherder_data" / "android-opt-build.perfherder.json").read_text())
    # vcs is a disabled framework in the shipped reference data: its objects are skipped, as upstream does.
    return {suite["name"] for obj in objects if obj["framework"]["name"] == "build_metrics" for suite in obj["suites"]}


def _stored(db) -> tuple[set[str], set[str], int]:
    s, f = t.performance_signature, t.performance_framework
    with db.read() as conn:
        suites = set(conn.execute(select(s.c.suite)).scalars())
        frameworks = set(conn.execute(select(f.c.name).join(s, s.c.framework_id == f.c.id)).scalars())
        data = conn.execute(select(func.count()).select_from(t.performance_datum)).scalar()
    return suites, frameworks, data


def _only_log(stored) -> int:
    ((log_id, _job_id, _name, _result),) = stored.pending_logs
    return log_id


def test_perfherder_lines_of_a_parsed_log_are_stored(database, ingestor, work_settings, log_server, shared_fixtures):
    log_id = _only_log(store_job_with_log(ingestor, _serve_perf_log(log_server, shared_fixtures), result="success"))
    report = parse_log(WorkContext(work_settings, database), log_id)
    assert report.status == "parsed"
    assert len(report.performance_data) == 5
    suites, frameworks, data = _stored(database)
    assert frameworks == {"build_metrics"}
    assert suites == _expected_suites(shared_fixtures)
    assert data > 0
    # Parsed again (a retry after a crash): the same points, not duplicates.
    with database.write() as conn:
        conn.execute(t.job_log.update().where(t.job_log.c.id == log_id).values(status=t.LOG_STATUS_CODE["pending"]))
    parse_log(WorkContext(work_settings, database), log_id)
    assert _stored(database)[2] == data


def test_perf_data_from_logs_can_be_switched_off(database, ingestor, work_settings, log_server, shared_fixtures):
    log_id = _only_log(store_job_with_log(ingestor, _serve_perf_log(log_server, shared_fixtures), result="success"))
    settings = dataclasses.replace(work_settings, perf_data_from_logs=False)
    assert parse_log(WorkContext(settings, database), log_id).status == "parsed"
    assert _stored(database) == (set(), set(), 0)
