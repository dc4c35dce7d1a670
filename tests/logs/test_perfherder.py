"""PERFHERDER_DATA extraction from logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from treeherder.logs.parser import parse_log_bytes, parse_log_file
from treeherder.logs.perfherder import extract_performance_object, performance_object_problem

VALID = {"framework": {"name": "build_metrics"}, "suites": [{"name": "s", "value": 1.5, "subtests": []}]}


@pytest.mark.parametrize(("name", "count"), [("android-opt-build", 5), ("win-aarch64-build", 4)])
def test_fixture_logs_give_expected_objects(shared_fixtures: Path, name: str, count: int) -> None:
    expected = json.loads((shared_fixtures / "perf" / "perfherder_data" / f"{name}.perfherder.json").read_text())
    with open(shared_fixtures / "perf" / "logs" / f"{name}.txt.gz", "rb") as fh:
        result = parse_log_file(fh)
    assert len(result.performance_data) == count
    assert result.performance_data == expected
    assert all(performance_object_problem(obj) is None for obj in result.performance_data)


def test_legacy_talos_logs_have_no_perfherder_data(shared_fixtures: Path) -> None:
    logs = sorted((shared_fixtures / "perf" / "talos_logs_legacy").glob("*.txt.gz"))
    assert len(logs) == 3
    for path in logs:
        with open(path, "rb") as fh:
            assert parse_log_file(fh).performance_data == []


def test_invalid_empty_and_schema_invalid_objects_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        "PERFHERDER_DATA: {not json}",
        "PERFHERDER_DATA: {}",
        'PERFHERDER_DATA: {"framework": {"name": "x"}}',
        "[task 2025-01-01T00:00:00.000Z] 10:00:00 INFO - PERFHERDER_DATA: " + json.dumps(VALID) + "\r",
        "PERFHERDER_DATA:" + json.dumps(VALID),  # no whitespace after the colon: not matched
    ]
    with caplog.at_level(logging.WARNING, logger="treeherder.logs.perfherder"):
        result = parse_log_bytes("\n".join(lines).encode())
    assert result.performance_data == [VALID]
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "invalid PERFHERDER_DATA JSON at line 0" in messages
    assert "line 1: empty performance data" in messages
    assert "line 2: <root>: 'suites' is a required property" in messages


def test_long_perf_line_is_not_cut() -> None:
    big = {"framework": {"name": "talos"}, "suites": [{"name": "s" * 10, "subtests": [
        {"name": f"t{i}", "value": i} for i in range(100)]}]}
    line = "PERFHERDER_DATA: " + json.dumps(big)
    assert len(line) > 500
    assert extract_performance_object(line) == big
    assert parse_log_bytes(line.encode()).performance_data == [big]


def test_perf_lines_after_the_error_cap_are_still_extracted() -> None:
    lines = [f"abort: {i}" for i in range(45)] + ["PERFHERDER_DATA: " + json.dumps(VALID)]
    result = parse_log_bytes("\n".join(lines).encode())
    assert len(result.errors) == 40
    assert result.performance_data == [VALID]
