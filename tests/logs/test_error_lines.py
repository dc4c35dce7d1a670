"""Error-line extraction: upstream's expected outputs for every fixture log, plus the rules."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path

import pytest

from treeherder.logs.errors import ERROR_SUBSTRINGS, ErrorLineCollector, is_error_line, strip_taskcluster_prefix
from treeherder.logs.parser import LogParser, parse_error_lines, parse_log_bytes, parse_log_file

LOGVIEW_NAMES = [
    "asan_too_large",
    "build-fail",
    "crashtest-timeout",
    "mochitest-crash",
    "mochitest-end",
    "mochitest-fail",
    "reftest-fail",
    "reftest-timeout",
    "taskcluster-only",
    "taskcluster-timeout",
    "xpcshell-crash",
]


def _expected(shared_fixtures: Path, name: str) -> dict:
    return json.loads((shared_fixtures / "logs" / f"{name}.logview.json").read_text())


@pytest.mark.parametrize("name", LOGVIEW_NAMES)
def test_fixture_log_gives_upstream_error_lines(shared_fixtures: Path, name: str) -> None:
    expected = _expected(shared_fixtures, name)
    with open(shared_fixtures / "logs" / f"{name}.log.gz", "rb") as fh:
        result = parse_log_file(fh)
    assert result.summary(expected["logurl"]) == expected


@pytest.mark.parametrize("name", ["mochitest-end", "xpcshell-crash", "taskcluster-timeout", "crashtest-timeout"])
def test_reference_path_and_regex_fallback_agree_with_upstream(shared_fixtures: Path, name: str) -> None:
    expected = _expected(shared_fixtures, name)["errors"]
    raw = gzip.decompress((shared_fixtures / "logs" / f"{name}.log.gz").read_bytes())
    assert [e.as_dict() for e in parse_error_lines(raw.splitlines())] == expected
    parser = LogParser(use_re2=False)
    parser.feed(raw)
    assert [e.as_dict() for e in parser.finish().errors] == expected


@pytest.mark.parametrize(
    ("name", "expected_lines"),
    [
        ("mozilla-central-macosx64-debug-bm65-build1-build15.txt.gz", [25424, 47627, 47840]),
        ("mozilla-inbound_panda_android_test-crashtest-bm43-tests1-panda-build591.txt.gz", []),
        ("geckodriver-sigining-mac.txt.gz", []),
    ],
)
def test_other_fixture_logs(shared_fixtures: Path, name: str, expected_lines: list[int]) -> None:
    with open(shared_fixtures / "logs" / name, "rb") as fh:
        result = parse_log_file(fh)
    assert [e.linenumber for e in result.errors] == expected_lines


def test_line_count_matches_splitlines(shared_fixtures: Path) -> None:
    raw = gzip.decompress((shared_fixtures / "logs" / "reftest-fail.log.gz").read_bytes())
    assert parse_log_bytes(raw).line_count == len(raw.splitlines())


LINE_BREAK_SETS = [(b"\n", b"\r\n", b"\r"), (b"\r\n",), (b"\n",), (b"\r",)]


def _random_log(rng: random.Random, breaks: tuple[bytes, ...]) -> bytes:
    pieces = [
        b"plain line",
        b"10:01:02     INFO - TEST-UNEXPECTED-FAIL | a.html | boom",
        b"10:01:02    ERROR - Return code: 1",
        b"TEST-INFO | foo",
        b"make[2]: *** [all] Error 2",
        b"[taskcluster 2025-02-27T10:00:00.000Z] Worker",
        b"[task 2025-02-27T10:01:02.345Z] RuntimeError: bad",
        # Unicode whitespace after the prefix and Unicode digits in the mozharness prefix
        "[task 2025-02-27T10:01:02.345Z]\u2003abort: wide space".encode(),
        "\u0661\u0660:01:02     INFO - ValueError: arabic-indic digits".encode(),
        b"GECKO(1) | JavaScript error: , line 0: NotFoundError: mid-line, not an error",
        b"[vcs:error] clone failed",
        b"caf\xc3\xa9 \xff\xfe fatal error here",
        b"",
        b"x" * 600 + b" PROCESS-CRASH",
    ]
    return b"".join(rng.choice(pieces) + rng.choice(breaks) for _ in range(400)) + rng.choice([b"", b"tail Error: x"])


@pytest.mark.parametrize("seed", range(12))
def test_fast_path_matches_reference_path_on_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    data = _random_log(rng, LINE_BREAK_SETS[seed % len(LINE_BREAK_SETS)])
    reference = parse_error_lines(data.splitlines(), max_errors=10_000)
    assert len(reference) > 20
    for use_re2 in (True, False):
        parser = LogParser(max_errors=10_000, use_re2=use_re2)
        pos = 0
        while pos < len(data):
            step = rng.choice([1, 2, 3, 7, 50, 4096])
            parser.feed(data[pos : pos + step])
            pos += step
        result = parser.finish()
        assert result.errors == reference
        assert result.line_count == len(data.splitlines())


def test_line_breaks_and_zero_based_numbers() -> None:
    data = b"ok\r\nabort: one\rok\nabort: two\n\nabort: three"
    assert [(e.linenumber, e.line) for e in parse_log_bytes(data).errors] == [
        (1, "abort: one"),
        (3, "abort: two"),
        (5, "abort: three"),
    ]


def test_rules_from_reference_examples() -> None:
    assert is_error_line("10:01:02    ERROR - Return code: 1")
    assert is_error_line("make[2]: *** [all] Error 2")
    assert is_error_line("10:01:02     INFO - TEST-UNEXPECTED-FAIL | dom/a.html | got 1")
    assert not is_error_line("TEST-INFO | foo")
    assert not is_error_line("TEST-PASS | TEST-UNEXPECTED-FAIL")
    assert not is_error_line("10:01:02     INFO - TEST-UNEXPECTED-WARNING | x")
    assert not is_error_line("some non-fatal error happened")
    assert not is_error_line("10:01:02     INFO - Assertion failure")
    assert is_error_line("foo.cpp:12: error: no member")
    assert is_error_line("c:/x.cpp(3): error C2065: undeclared")
    assert is_error_line("[taskcluster:error] Task timeout")
    assert is_error_line("[vcs:exception] clone failed")
    assert not is_error_line("  RuntimeError: indented is not at the start")


def test_taskcluster_prefix_only_stripped_after_marker_line() -> None:
    before = "[task 2025-02-27T10:01:02.345Z] RuntimeError: early"
    lines = [before, "[taskcluster 2025-02-27T10:00:00.000Z] Worker Group: x", before.replace("early", "late")]
    errors = parse_error_lines(lines)
    # Before the marker the prefix stays, so the anchored rule cannot match.
    assert [(e.linenumber, e.line) for e in errors] == [(2, "RuntimeError: late")]
    assert strip_taskcluster_prefix("[taskcluster:error] x") == "[taskcluster:error] x"


def test_dedupe_only_against_previous_recorded_line() -> None:
    lines = ["abort: a  ", "abort: a", "abort: b", "abort: a"]
    assert [e.linenumber for e in parse_error_lines(lines)] == [0, 2, 3]


def test_cap_of_forty_errors_and_stop() -> None:
    lines = [f"abort: {i}" for i in range(100)]
    collector = ErrorLineCollector()
    for number, line in enumerate(lines):
        collector.feed(line, number)
    assert len(collector.errors) == 40 and collector.complete
    data = "\n".join(lines).encode()
    assert [e.linenumber for e in parse_log_bytes(data).errors] == list(range(40))


def test_lines_cut_to_500_characters_unless_perfherder() -> None:
    late_marker = "x" * 495 + " TEST-UNEXPECTED-FAIL"
    long_error = "TEST-UNEXPECTED-FAIL " + "y" * 600
    perf_line = "PERFHERDER_DATA: nope " + "z" * 500 + " TEST-UNEXPECTED-FAIL"
    errors = parse_log_bytes("\n".join([late_marker, long_error, perf_line]).encode()).errors
    assert [e.linenumber for e in errors] == [1, 2]
    assert len(errors[0].line) == 500
    assert errors[1].line == perf_line


def test_invalid_utf8_is_replaced() -> None:
    errors = parse_log_bytes(b"abort: caf\xe9\n").errors
    assert errors[0].line == "abort: caf\ufffd"


RULE_EXAMPLES = [
    *(f"before {marker} after" for marker in ERROR_SUBSTRINGS),
    "make: *** [all] Error 2",
    "gmake[2]: *** [all] Error 2",
    "RuntimeError: boom",
    "Exception: boom",
    "mozprocess.Exception: boom",
    "[  FAILED  ] Suite.Test",
    "remoteFailed: [Failure instance]",
    "rm: cannot remove 'x'",
    "abort: push creates new remote head",
    "[taskcluster] Error: task failed",
    "[vcs:error] clone failed",
    "[a.b-c_d:exception] oops",
    "src/a.c(12): error(42): thing",
    "src/a.cpp:12: error: no member",
    "a.cpp(3) : error C2065: undeclared",
    "a.rc : error RC2135: bad",
    "HTTP ERROR 404: not found",
    "mozmake.EXE[3]: *** [x] Error 1",
]
PREFIXES = [
    "",
    "10:01:02     INFO -  ",
    "10:01:02  WARNING - ",
    "10:01:02    ERROR - ",
    "[task 2025-01-01T00:00:00.000Z] ",
    "[task 2025-01-01T00:00:00.000Z] 10:01:02     INFO - ",
]


@pytest.mark.parametrize("taskcluster", [False, True])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_prefilter_keeps_every_rule(prefix: str, taskcluster: bool) -> None:
    """Each rule, behind each kind of prefix: the fast path finds what the plain rules find."""
    lines = (["[taskcluster 2025-01-01T00:00:00.000Z] Worker"] if taskcluster else []) + [
        prefix + example for example in RULE_EXAMPLES
    ]
    reference = parse_error_lines(lines, max_errors=10_000)
    data = "\n".join(lines).encode()
    for use_re2 in (True, False):
        parser = LogParser(max_errors=10_000, use_re2=use_re2)
        parser.feed(data)
        assert parser.finish().errors == reference
    if prefix.startswith("[task") and not taskcluster:
        return  # the prefix blocks the anchored rules outside Taskcluster logs
    assert len(reference) == len(RULE_EXAMPLES)


@pytest.mark.parametrize("seed", range(8))
def test_overlong_lines_are_cut_without_losing_line_numbers(seed: int) -> None:
    rng = random.Random(seed)
    breaks = LINE_BREAK_SETS[seed % len(LINE_BREAK_SETS)]
    pieces = [b"abort: short", b"q" * 30_000, b"abort: long " + b"z" * 25_000, b"fine", b"x\xc3\xa9" * 9000]
    data = b"".join(rng.choice(pieces) + rng.choice(breaks) for _ in range(60)) + b"abort: tail " + b"t" * 20_000
    reference = parse_error_lines(data.splitlines(), max_errors=10_000)
    parser = LogParser(max_errors=10_000, max_line_bytes=4096)
    pos = 0
    while pos < len(data):
        step = rng.choice([1, 2, 999, 4095, 4096, 4097, 7000, 65536])
        parser.feed(data[pos : pos + step])
        pos += step
    result = parser.finish()
    assert result.errors == reference
    assert result.line_count == len(data.splitlines())


@pytest.mark.parametrize("breaks", [b"\r", b"\r\n", b"\n"])
def test_overlong_line_ending_exactly_at_a_block_end(breaks: bytes) -> None:
    long_line = b"y" * 5000
    for split in (len(long_line), len(long_line) + 1):  # blocks end right at, or inside, the line break
        data = long_line + breaks + b"abort: next" + breaks + b"abort: last"
        parser = LogParser(max_line_bytes=4096)
        parser.feed(data[:split])
        parser.feed(data[split:])
        result = parser.finish()
        assert [(e.linenumber, e.line) for e in result.errors] == [(1, "abort: next"), (2, "abort: last")]
        assert result.line_count == 3


def test_huge_line_without_breaks_is_fast() -> None:
    parser = LogParser()
    block = b"y" * 65536
    started = time.monotonic()
    for _ in range(1600):  # 105 MB in one line: copying the growing line each time would take minutes
        parser.feed(block)
    assert time.monotonic() - started < 10
    parser.feed(b"\nabort: after\n")
    result = parser.finish()
    assert [(e.linenumber, e.line) for e in result.errors] == [(1, "abort: after")]
    assert result.line_count == 2


def test_overlong_line_content_is_cut() -> None:
    suites = [{"name": f"suite{i}", "subtests": []} for i in range(300)]
    valid = b"PERFHERDER_DATA: " + json.dumps({"framework": {"name": "x"}, "suites": suites}).encode()
    assert len(valid) > 8000
    for max_line_bytes, expected in ((len(valid) + 10, 1), (4096, 0)):
        parser = LogParser(max_line_bytes=max_line_bytes)
        data = valid + b"\nabort: next\n"
        for start in range(0, len(data), 1000):  # the long line arrives in pieces
            parser.feed(data[start : start + 1000])
        result = parser.finish()
        assert len(result.performance_data) == expected
        assert [(e.linenumber, e.line) for e in result.errors] == [(1, "abort: next")]
