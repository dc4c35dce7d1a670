"""Parsing stored job logs end to end: database rows in, parse status and results out."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests import factories
from tests.logs.conftest import LogServer, gzip_encoded
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.logs.fetch import FetchOptions
from treeherder.logs.service import NOT_PARSED, LogParsingService

REPO = "mozilla-central"
LOCAL = FetchOptions(allowlist=("127.0.0.1",), retries=0, timeout=5)


def _job_with_logs(ingestor, logs: list[tuple[str, str]], *, result: str = "testfailed") -> int:
    push = factories.push()
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    job = factories.job(
        push["revision"],
        result=result,
        log_references=[{"name": name, "url": url, "parse_status": "pending"} for name, url in logs],
    )
    stored = ingestor.store_jobs(REPO, parse_job_collection([job]))
    return stored.job_ids[job["job"]["job_guid"]]


def _log_ids(database, job_id: int) -> dict[str, int]:
    with database.read() as conn:
        rows = conn.execute(select(t.job_log.c.name, t.job_log.c.id).where(t.job_log.c.job_id == job_id))
        return {name: log_id for name, log_id in rows}


def _status(database, log_id: int) -> str:
    with database.read() as conn:
        return t.LOG_STATUS[conn.execute(select(t.job_log.c.status).where(t.job_log.c.id == log_id)).scalar_one()]


def _error_rows(database, job_id: int) -> list[dict]:
    with database.read() as conn:
        rows = conn.execute(
            select(t.text_log_error.c.line_number, t.text_log_error.c.line)
            .where(t.text_log_error.c.job_id == job_id)
            .order_by(t.text_log_error.c.line_number)
        )
        return [{"linenumber": number, "line": line} for number, line in rows]


def test_text_log_errors_stored_once(database, ingestor, log_server: LogServer, shared_fixtures: Path) -> None:
    raw = (shared_fixtures / "logs" / "mochitest-end.log.gz").read_bytes()
    log_server.add_body("/mochitest-end.log.gz", raw, {"Content-Encoding": "gzip"})
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/mochitest-end.log.gz"))])
    log_id = _log_ids(database, job_id)["live_backing_log"]
    service = LogParsingService(database, LOCAL)

    report = service.parse(log_id)

    expected = json.loads((shared_fixtures / "logs" / "mochitest-end.logview.json").read_text())["errors"]
    assert (report.status, report.error_lines) == ("parsed", 17)
    assert _status(database, log_id) == "parsed"
    assert _error_rows(database, job_id) == expected
    again = service.parse(log_id)
    assert again.status == NOT_PARSED and log_server.hits["/mochitest-end.log.gz"] == 1
    assert len(_error_rows(database, job_id)) == 17


def test_astral_characters_replaced_in_error_lines(database, ingestor, log_server: LogServer) -> None:
    log_server.add_body("/log", "ok\nabort: eggplant \U0001f346\n".encode())
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/log"))])
    LogParsingService(database, LOCAL).parse(_log_ids(database, job_id)["live_backing_log"])
    assert _error_rows(database, job_id) == [{"linenumber": 1, "line": "abort: eggplant <U+01F346>"}]


def test_error_summary_failure_lines_and_groups(database, ingestor, log_server: LogServer, shared_fixtures: Path):
    body = (shared_fixtures / "logs" / "errorsummary" / "mochitest-browser-chrome_errorsummary.log").read_bytes()
    log_server.add_body("/mbc_errorsummary.log", *gzip_encoded(body))
    job_id = _job_with_logs(ingestor, [("errorsummary_json", log_server.url("/mbc_errorsummary.log"))])
    log_id = _log_ids(database, job_id)["errorsummary_json"]

    report = LogParsingService(database, LOCAL).parse(log_id)

    assert (report.status, report.failure_lines, report.group_results) == ("parsed", 5, 29)
    with database.read() as conn:
        lines = conn.execute(
            select(t.failure_line.c.action, t.failure_line.c.status, t.failure_line.c.repository_id)
            .where(t.failure_line.c.job_id == job_id)
        ).all()
        statuses = conn.execute(
            select(t.test_group.c.name, t.group_status.c.status, t.group_status.c.duration)
            .join(t.test_group, t.test_group.c.id == t.group_status.c.group_id)
            .where(t.group_status.c.job_log_id == log_id)
        ).all()
    assert len(lines) == 5 and {line.action for line in lines} == {"test_result"}
    assert len(statuses) == 29
    assert sum(status == 1 for _, status, _ in statuses) == 26
    assert ("dom/workers/test/browser.ini", 2, 3) in statuses
    assert _status(database, log_id) == "parsed"


def test_missing_log_fails_and_can_be_retried(database, ingestor, log_server: LogServer) -> None:
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/later"))])
    log_id = _log_ids(database, job_id)["live_backing_log"]
    service = LogParsingService(database, LOCAL)

    report = service.parse(log_id)
    assert (report.status, report.retryable) == ("failed", False)
    assert _status(database, log_id) == "failed"

    log_server.add_body("/later", b"abort: now it exists\n")
    assert service.parse(log_id).status == "parsed"
    assert _error_rows(database, job_id) == [{"linenumber": 0, "line": "abort: now it exists"}]


def test_too_large_log_is_skipped(database, ingestor, log_server: LogServer) -> None:
    log_server.add_body("/big", b"abort: x\n" * 500)
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/big"))])
    log_id = _log_ids(database, job_id)["live_backing_log"]
    service = LogParsingService(database, FetchOptions(allowlist=("127.0.0.1",), max_bytes=1000, retries=0))
    assert service.parse(log_id).status == "skipped-size"
    assert _status(database, log_id) == "skipped-size"
    assert _error_rows(database, job_id) == []


def test_private_address_refused_without_allowlist(database, ingestor, log_server: LogServer) -> None:
    log_server.add_body("/log", b"abort: x\n")
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/log"))])
    log_id = _log_ids(database, job_id)["live_backing_log"]
    report = LogParsingService(database, FetchOptions(retries=0)).parse(log_id)
    assert report.status == "failed" and "non-public" in report.error
    assert log_server.hits["/log"] == 0


def test_pending_sweep_parses_failed_jobs_first_and_ignores_other_logs(database, ingestor, log_server) -> None:
    log_server.add_body("/ok", b"fine\n")
    log_server.add_body("/bad", b"abort: broken\n")
    green = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/ok"))], result="success")
    red = _job_with_logs(
        ingestor, [("live_backing_log", log_server.url("/bad")), ("resource-usage.json", log_server.url("/ok"))]
    )
    service = LogParsingService(database, LOCAL)
    red_log = _log_ids(database, red)["live_backing_log"]
    green_log = _log_ids(database, green)["live_backing_log"]
    assert service.pending_log_ids() == [red_log, green_log]
    reports = service.parse_pending()
    assert [r.status for r in reports] == ["parsed", "parsed"]
    assert service.pending_log_ids() == []
    assert _status(database, _log_ids(database, red)["resource-usage.json"]) == "pending"
    other = service.parse(_log_ids(database, red)["resource-usage.json"])
    assert other.status == NOT_PARSED


def test_long_enum_values_do_not_break_storage(database, ingestor, log_server: LogServer) -> None:
    lines = [
        {"action": "test_result", "test": "a.html", "status": "PRECONDITION_FAILED", "expected": "PASS", "line": 3},
        {"action": "log", "level": "error", "message": "boom", "line": 4},
    ]
    log_server.add_body("/summary.log", "\n".join(json.dumps(line) for line in lines).encode())
    job_id = _job_with_logs(ingestor, [("errorsummary_json", log_server.url("/summary.log"))])
    report = LogParsingService(database, LOCAL).parse(_log_ids(database, job_id)["errorsummary_json"])
    assert (report.status, report.failure_lines, report.group_results) == ("parsed", 2, 0)
    with database.read() as conn:
        rows = conn.execute(
            select(t.failure_line.c.line, t.failure_line.c.status, t.failure_line.c.message)
            .where(t.failure_line.c.job_id == job_id)
            .order_by(t.failure_line.c.line)
        ).all()
    assert [row.line for row in rows] == [3, 4]
    assert rows[0].status.startswith("PRECONDIT") and rows[1].message == "boom"


def _classification(database, job_id: int) -> int:
    with database.read() as conn:
        return conn.execute(select(t.job.c.failure_classification_id).where(t.job.c.id == job_id)).scalar_one()


def _new_flags(database, job_id: int) -> dict[str, bool]:
    with database.read() as conn:
        rows = conn.execute(
            select(t.text_log_error.c.line, t.text_log_error.c.new_failure).where(t.text_log_error.c.job_id == job_id)
        )
        return {line: bool(flag) for line, flag in rows}


def test_new_failures_classify_the_job(database, ingestor, log_server: LogServer) -> None:
    log_server.add_body("/first", b"abort: known\n")
    log_server.add_body("/second", b"abort: known\nabort: brand new\n")
    service = LogParsingService(database, LOCAL)
    first = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/first"))])
    report = service.parse(_log_ids(database, first)["live_backing_log"])
    assert report.new_failure_lines == 1
    assert _classification(database, first) == 6
    assert _new_flags(database, first) == {"abort: known": True}

    # A later push: "known" was seen before, only the other line is new.
    second = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/second"))])
    assert service.parse(_log_ids(database, second)["live_backing_log"]).new_failure_lines == 1
    assert _new_flags(database, second) == {"abort: known": False, "abort: brand new": True}
    assert _classification(database, second) == 6

    # Only old lines: the job stays "not classified".
    third = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/first"))])
    assert service.parse(_log_ids(database, third)["live_backing_log"]).new_failure_lines == 0
    assert _classification(database, third) == 1 and _new_flags(database, third) == {"abort: known": False}


def test_successful_jobs_are_never_new_failures(database, ingestor, log_server: LogServer) -> None:
    log_server.add_body("/log", b"abort: odd but green\n")
    job_id = _job_with_logs(ingestor, [("live_backing_log", log_server.url("/log"))], result="success")
    assert LogParsingService(database, LOCAL).parse(_log_ids(database, job_id)["live_backing_log"]).status == "parsed"
    assert _classification(database, job_id) == 1
    assert _new_flags(database, job_id) == {"abort: odd but green": False}
