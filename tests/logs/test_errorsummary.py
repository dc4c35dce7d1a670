"""Structured errorsummary parsing against upstream's sample summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treeherder.logs.errorsummary import (
    ErrorSummaryError,
    group_duration_seconds,
    group_status_code,
    intermittent_job_type_key,
    parse_error_summary,
    parse_error_summary_bytes,
)
from treeherder.logs.text import replace_astral


def _summary(shared_fixtures: Path, name: str, **kwargs):
    return parse_error_summary_bytes((shared_fixtures / "logs" / "errorsummary" / name).read_bytes(), **kwargs)


def test_plain_chunked_single_failure(shared_fixtures: Path) -> None:
    summary = _summary(shared_fixtures, "plain-chunked_errorsummary.log")
    assert len(summary.failure_lines) == 1
    failure = summary.failure_lines[0]
    raw = json.loads((shared_fixtures / "logs" / "errorsummary" / "plain-chunked_errorsummary.log").read_text())
    assert (failure.action, failure.line, failure.test, failure.status) == (
        "test_result", raw["line"], raw["test"], raw["status"])
    assert summary.group_results == [] and not summary.truncated


def test_cutoff_adds_a_truncated_line(shared_fixtures: Path) -> None:
    summary = _summary(shared_fixtures, "plain-chunked_errorsummary_10_lines.log", cutoff=5)
    assert [f.action for f in summary.failure_lines] == ["test_result"] * 5 + ["truncated"]
    assert summary.truncated
    assert len(_summary(shared_fixtures, "plain-chunked_errorsummary_10_lines.log").failure_lines) == 10


def test_astral_characters_are_kept(shared_fixtures: Path) -> None:
    failure = _summary(shared_fixtures, "plain-chunked_errorsummary_astral.log").failure_lines[0]
    assert failure.test == "toolkit/content/tests/widgets/test_videocontrols_video_direction.html \U0001f346"
    assert failure.subtest == "Test timed out. \U00010081"
    assert failure.message == "\U000f0151"
    assert failure.stack.endswith("\U000f0151")
    assert replace_astral(failure.subtest) == "Test timed out. <U+010081>"


def test_mochitest_browser_chrome_groups(shared_fixtures: Path) -> None:
    summary = _summary(shared_fixtures, "mochitest-browser-chrome_errorsummary.log")
    assert len(summary.failure_lines) == 5
    groups = summary.group_results
    assert len(groups) == 29
    assert sum(g.ok for g in groups) == 26
    assert sum(g.status == 2 for g in groups) == 3
    assert sum(g.duration > 0 for g in groups) == 27
    assert groups[0].group == "dom/base/test/browser.ini"
    assert next(g for g in groups if not g.ok).group == "dom/workers/test/browser.ini"
    assert summary.test_groups[0] == "dom/base/test/browser.ini"


def test_infra_summary_has_no_groups(shared_fixtures: Path) -> None:
    summary = _summary(shared_fixtures, "mochitest-browser-chrome_infra_errorsummary.log")
    assert [f.status for f in summary.failure_lines] == ["TIMEOUT"]
    assert summary.group_results == []


def test_group_names_with_colons_are_whole(shared_fixtures: Path) -> None:
    groups = _summary(shared_fixtures, "xpcshell-errorsummary-with-colon.log").group_results
    assert len(groups) == 5 and all(g.ok for g in groups)
    assert groups[0].group == (
        "toolkit/components/extensions/test/xpcshell/xpcshell-e10s.ini:"
        "toolkit/components/extensions/test/xpcshell/xpcshell-content.ini"
    )


def test_group_rules() -> None:
    assert [group_status_code(s) for s in ("OK", "ERROR", "SKIP", "TIMEOUT", None)] == [1, 2, 3, 10, 10]
    assert [group_duration_seconds(d) for d in (81234, None, "5", -1, 7_200_001, 7_200_000, 999.9)] == [
        81, 0, 0, 0, 0, 7200, 0]
    lines = [
        json.dumps({"action": "group_result", "group": "a\\b.ini", "status": "OK", "line": 1}),
        json.dumps({"action": "group_result", "group": "x" * 256, "status": "OK", "line": 2}),
        json.dumps({"action": "group_result", "group": "ok.ini", "status": "ERROR", "duration": 2500, "line": 3}),
        json.dumps({"action": "suite_start", "line": 4}),
        "",
        json.dumps({"action": "crash", "test": "t", "signature": "sig", "line": 5}),
    ]
    summary = parse_error_summary(lines)
    assert [(g.group, g.status, g.duration) for g in summary.group_results] == [("ok.ini", 2, 2)]
    assert [(f.action, f.signature) for f in summary.failure_lines] == [("crash", "sig")]


@pytest.mark.parametrize("bad", ["not json", "[1, 2]", json.dumps({"action": "test_result", "line": "7"})])
def test_malformed_lines_raise(bad: str) -> None:
    with pytest.raises(ErrorSummaryError):
        parse_error_summary([bad])


def test_intermittent_job_type_key() -> None:
    assert intermittent_job_type_key("test-linux/opt-mochitest-browser-chrome-cf") == (
        "test-linux/opt-mochitest-browser-chrome")
    assert intermittent_job_type_key("test-linux/opt-mochitest-browser-chrome-3") == (
        "test-linux/opt-mochitest-browser-chrome")


@pytest.mark.parametrize("size", [1, 2, 7, 100, 10_000])
def test_streamed_lines_match_splitlines(size: int) -> None:
    from treeherder.logs.remote import iter_lines

    data = b'{"a": 1}\n{"b": 2}\r\n\n{"c": 3}\r{"d": 4}\r\n{"e": 5}'
    blocks = [data[i : i + size] for i in range(0, len(data), size)]
    assert list(iter_lines(blocks)) == data.splitlines()


def test_error_summary_reading_stops_after_the_cutoff() -> None:
    from treeherder.logs.remote import consume_error_summary

    line = json.dumps({"action": "test_result", "test": "t", "status": "FAIL", "line": 1}).encode() + b"\n"
    blocks_read = 0

    def blocks():
        nonlocal blocks_read
        for _ in range(10_000):
            blocks_read += 1
            yield line * 10

    summary = consume_error_summary(blocks())
    assert len(summary.failure_lines) == 151 and summary.truncated
    assert blocks_read < 20
