"""Upstream-compatible error-line rules for unstructured (text) logs.

Every rule is applied to one decoded line at a time, exactly as upstream's error parser
does (see reference LOGS.md §2).  The fast path in :mod:`treeherder.logs.parser` only
calls :meth:`ErrorLineCollector.feed` for lines that survive a cheap byte-level
prefilter, so everything that decides *whether* a line is an error lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Collection stops after this many recorded error lines per log.
MAX_ERROR_LINES = 40
#: Lines are cut to this many characters before parsing (except PERFHERDER_DATA lines).
MAX_LINE_LENGTH = 500

TASKCLUSTER_LOG_MARKER = "[taskcluster "

# `[task 2025-02-13T11:00:27.837Z] ` style prefixes added by run-task; `[taskcluster:error]` is kept.
_TASKCLUSTER_PREFIX = re.compile(r"^\[(?!taskcluster:)[^\]]*20\d{2}-[^\]]+\]\s")

_EXCLUDE_ANYWHERE = re.compile(
    r"TEST-(?:INFO|PASS) "
    r"|A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down"
)
_MOZHARNESS_ERROR_LEVEL = re.compile(r"^\d+:\d+:\d+ +(?:ERROR|CRITICAL|FATAL) - ")
_MOZHARNESS_QUIET_LEVEL = re.compile(r"^\d+:\d+:\d+ +(?:DEBUG|INFO|WARNING) - +")
_EXCLUDE_TRIMMED = re.compile(
    r"I[ /](Gecko|TestRunner).*TEST-UNEXPECTED-"
    r"|Assertion failure$"
    r"|^TEST-UNEXPECTED-WARNING\b"
    r"|^TimeoutException: "
    r"|^ImportError: No module named pygtk$"
    r"|non-fatal error"
)
ERROR_SUBSTRINGS: tuple[str, ...] = (
    "TEST-UNEXPECTED-",
    "fatal error",
    "FATAL ERROR",
    "Hit MOZ_CRASH",
    "REFTEST ERROR",
    "PROCESS-CRASH",
    "Assertion fail",
    "###!!! ABORT:",
    "SUMMARY: AddressSanitizer",
    "SUMMARY: ThreadSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "ThreadSanitizer: nested bug",
    "Automation Error:",
    "command timed out:",
    "wget: unable ",
    "bash.exe: *** ",
    "Unsuccessful task run with exit code: 137",
    "YOU ARE LEAKING THE WORLD",
)
# One alternation instead of a Python-level loop over the substrings.
_ERROR_SUBSTRING = re.compile("|".join(re.escape(s) for s in ERROR_SUBSTRINGS))
_ERROR_AT_START = re.compile(
    r"g?make(?:\[\d+\])?: \*\*\*"
    r"|[A-Za-z.]+Error: "
    r"|[A-Za-z.]*Exception: "
    r"|\[  FAILED  \] "
    r"|remoteFailed:"
    r"|rm: cannot "
    r"|abort:"
    r"|\[taskcluster\] Error:"
    r"|\[[\w._-]+:(?:error|exception)\]"
)
_ERROR_ANYWHERE = re.compile(
    r" error\(\d*\):|:\d+: error:| error R?C\d*:|ERROR [45]\d\d:|mozmake\.(?:exe|EXE)(?:\[\d+\])?: \*\*\*"
)

# ---------------------------------------------------------------------------------------
# Byte-level prefilter.  Every line that can be an error, that contains PERFHERDER_DATA or
# that switches a log into Taskcluster mode matches PREFILTER_PATTERN somewhere; lines that
# do not match are never decoded.  It must stay a superset of the rules above: literal
# rules appear as literals, and rules anchored at the start of the trimmed line are anchored
# at a line start followed by optional supersets of the Taskcluster and mozharness prefixes.
# The parser puts a line break in front of every chunk, so "line start" is "after \r or \n".
# ---------------------------------------------------------------------------------------

#: Literal fragments that rules search for anywhere in the line.  ": ***" covers make,
#: mozmake and bash.exe; "SUMMARY: " covers the three sanitizers; "ERROR 4"/"ERROR 5"
#: cover ``ERROR [45]\d\d:``; the mozharness error levels are unanchored because a
#: Taskcluster prefix may precede them.
PREFILTER_LITERALS: tuple[bytes, ...] = (
    b"TEST-UNEXPECTED-",
    b"fatal error",
    b"FATAL ERROR",
    b"Hit MOZ_CRASH",
    b"REFTEST ERROR",
    b"PROCESS-CRASH",
    b"Assertion fail",
    b"###!!! ABORT:",
    b"SUMMARY: ",
    b"ThreadSanitizer: nested bug",
    b"Automation Error:",
    b"command timed out:",
    b"wget: unable ",
    b"Unsuccessful task run with exit code: 137",
    b"YOU ARE LEAKING THE WORLD",
    b": ***",
    b" error(",
    b": error:",
    b" error C",
    b" error RC",
    b"ERROR 4",
    b"ERROR 5",
    b"ERROR - ",
    b"CRITICAL - ",
    b"FATAL - ",
)

# Supersets, in UTF-8 bytes, of Python's Unicode-aware \s and \d (multi-byte forms included).
_ANY_WHITESPACE = rb"(?:[\t\x0b\x0c\x1c-\x20]|[\xc2-\xe3][\x80-\xbf]{1,2})"
_ANY_DIGITS = rb"(?:[0-9]|[\xc2-\xf4][\x80-\xbf]{1,3})+"
_LINE_START = rb"[\r\n]"
_TASKCLUSTER_PREFIX_SUPERSET = rb"(?:\[[^\]\r\n]*\]" + _ANY_WHITESPACE + rb")?"
_MOZHARNESS_PREFIX_SUPERSET = (
    rb"(?:" + _ANY_DIGITS + rb":" + _ANY_DIGITS + rb":" + _ANY_DIGITS + rb" +(?:DEBUG|INFO|WARNING) - +)?"
)
#: Rules anchored at the start of the trimmed line (see ``_ERROR_AT_START``).
PREFILTER_AT_LINE_START: tuple[bytes, ...] = (
    rb"[A-Za-z.]+Error: ",
    rb"[A-Za-z.]*Exception: ",
    rb"\[  FAILED  \] ",
    rb"remoteFailed:",
    rb"rm: cannot ",
    rb"abort:",
    rb"\[taskcluster\] Error:",
    rb"\[[^\]\r\n]+:(?:error|exception)\]",
)
TASKCLUSTER_MARKER_PATTERN = _LINE_START + re.escape(TASKCLUSTER_LOG_MARKER.encode())


def prefilter_pattern(*, errors: bool = True, taskcluster_marker: bool = True, extra: tuple[bytes, ...] = ()) -> bytes:
    """The byte regex (RE2- and ``re``-compatible) selecting candidate lines.

    *errors* adds the error rules, *taskcluster_marker* the Taskcluster-mode switch, and
    *extra* further literal fragments (e.g. ``PERFHERDER_DATA``).
    """
    alternatives: list[bytes] = []
    if errors:
        alternatives += [re.escape(literal) for literal in PREFILTER_LITERALS]
        alternatives.append(
            _LINE_START
            + _TASKCLUSTER_PREFIX_SUPERSET
            + _MOZHARNESS_PREFIX_SUPERSET
            + rb"(?:"
            + b"|".join(PREFILTER_AT_LINE_START)
            + rb")"
        )
    if taskcluster_marker:
        alternatives.append(TASKCLUSTER_MARKER_PATTERN)
    alternatives += [re.escape(literal) for literal in extra]
    return b"|".join(alternatives)


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One recorded error line: 0-based line number and the (prefix-stripped) text."""

    linenumber: int
    line: str

    def as_dict(self) -> dict[str, int | str]:
        """The upstream artifact shape: ``{"linenumber": ..., "line": ...}``."""
        return {"linenumber": self.linenumber, "line": self.line}


def strip_taskcluster_prefix(line: str) -> str:
    """Remove a leading ``[task 2025-...] `` style prefix (never ``[taskcluster:error]``)."""
    match = _TASKCLUSTER_PREFIX.match(line)
    return line[match.end() :] if match else line


def is_error_line(line: str) -> bool:
    """Whether *line* (already cut and prefix-stripped) is an error by upstream's rules."""
    if _EXCLUDE_ANYWHERE.search(line):
        return False
    if _MOZHARNESS_ERROR_LEVEL.match(line):
        return True
    trimmed = _MOZHARNESS_QUIET_LEVEL.sub("", line, count=1).rstrip()
    if _EXCLUDE_TRIMMED.search(trimmed):
        return False
    return bool(
        _ERROR_SUBSTRING.search(trimmed) or _ERROR_AT_START.match(trimmed) or _ERROR_ANYWHERE.search(trimmed)
    )


class ErrorLineCollector:
    """Stateful per-log error collection (Taskcluster mode, dedupe, the 40-line cap).

    Feed lines in log order; lines that are skipped (for example by a prefilter) must
    not be able to change the state, which holds for every line that does not match
    :func:`prefilter_pattern`.
    """

    __slots__ = ("errors", "is_taskcluster", "max_errors", "_last_line")

    def __init__(self, max_errors: int = MAX_ERROR_LINES) -> None:
        self.errors: list[ErrorLine] = []
        self.is_taskcluster = False
        self.max_errors = max_errors
        self._last_line: str | None = None

    @property
    def complete(self) -> bool:
        """True once the cap is reached: later lines are not looked at."""
        return len(self.errors) >= self.max_errors

    def feed(self, line: str, linenumber: int) -> None:
        """Examine one decoded line (already cut to :data:`MAX_LINE_LENGTH` where applicable)."""
        if self.complete:
            return
        if not self.is_taskcluster and line.startswith(TASKCLUSTER_LOG_MARKER):
            self.is_taskcluster = True
        if self.is_taskcluster:
            line = strip_taskcluster_prefix(line)
        if not is_error_line(line):
            return
        line = line.rstrip()
        if line == self._last_line:
            return
        self._last_line = line
        self.errors.append(ErrorLine(linenumber, line))
