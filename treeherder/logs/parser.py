"""One-pass parsing of unstructured logs: error lines and PERFHERDER_DATA objects.

Speed comes from not looking at most lines at all: one compiled byte pattern (RE2, a
DFA that scans at hundreds of MB/s; stdlib ``re`` as a fallback) finds the few lines
that could match an error rule, hold PERFHERDER_DATA or switch on Taskcluster mode
(:func:`treeherder.logs.errors.prefilter_pattern`).  Only those lines are located,
decoded, cut to 500 characters and run through the exact upstream rules in
:mod:`treeherder.logs.errors`.  Line numbers are kept by counting ``\\n`` between
candidates with ``bytes.count``, which runs at memory speed; lone ``\\r`` breaks are
first rewritten to ``\\n`` in place, so offsets and numbers do not change.

Line breaks are ``\\n``, ``\\r\\n`` and a lone ``\\r`` (as ``bytes.splitlines``), and
line numbers are 0-based.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

from treeherder.logs.decompress import iter_decompressed
from treeherder.logs.errors import (
    MAX_ERROR_LINES,
    MAX_LINE_LENGTH,
    ErrorLine,
    ErrorLineCollector,
    prefilter_pattern,
)
from treeherder.logs.perfherder import PERFHERDER_MARKER, extract_performance_object

try:  # RE2 (google-re2) is a hard dependency; the fallback keeps the parser usable without its wheel.
    import re2 as _re2
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _re2 = None

READ_BLOCK = 1 << 20
#: Lines longer than this (in bytes) are cut before parsing; see ``LogParser._extend_line``.
MAX_LINE_BYTES = 8 << 20

_PERFHERDER_BYTES = PERFHERDER_MARKER.encode()
_LONE_CARRIAGE_RETURN = re.compile(rb"\r(?!\n)")
_LINE_BREAK = re.compile(rb"[\r\n]")
_LINE_BREAK_SENTINEL = b"\n"


def _latin1_re2(pattern: bytes) -> Any:
    """An RE2 pattern with byte semantics (as ``re`` on bytes), or None without RE2."""
    if _re2 is None:
        return None
    options = _re2.Options()
    options.encoding = _re2.Options.Encoding.LATIN1
    return _re2.compile(pattern, options)


# RE2 has no lookahead: this finds *whether* a lone \r exists; `_LONE_CARRIAGE_RETURN` finds where.
_LONE_CARRIAGE_RETURN_RE2 = _latin1_re2(rb"\r(?:[^\n]|\z)")


@lru_cache(maxsize=16)
def _compile_prefilter(pattern: bytes, use_re2: bool) -> Any:
    if use_re2 and _re2 is not None:
        return _latin1_re2(pattern)
    return re.compile(pattern)


def _normalise_line_breaks(buf: bytes) -> tuple[bytes, bool]:
    """Turn lone \\r breaks into \\n, keeping every offset and line number.

    Afterwards each line ends at a \\n (possibly preceded by the \\r of a \\r\\n), so
    lines are found and counted with single-byte searches.  Returns the buffer and
    whether it still contains \\r\\n pairs.  A \\r\\n must not straddle the end of *buf*.
    """
    if b"\r" not in buf:
        return buf, False
    if _LONE_CARRIAGE_RETURN_RE2 is not None and _LONE_CARRIAGE_RETURN_RE2.search(buf) is None:
        return buf, True  # \r\n only (the common Windows case): RE2 checks this at memory speed
    lone = [match.start() for match in _LONE_CARRIAGE_RETURN.finditer(buf)]
    if lone:
        mutable = bytearray(buf)
        for position in lone:
            mutable[position] = 10  # b"\n"
        buf = bytes(mutable)
    return buf, True


@dataclass(slots=True)
class LogParseResult:
    """What one pass over a text log produced."""

    errors: list[ErrorLine] = field(default_factory=list)
    performance_data: list[dict[str, Any]] = field(default_factory=list)
    line_count: int = 0

    def summary(self, logurl: str) -> dict[str, Any]:
        """The upstream ``text_log_summary`` shape: ``{"logurl", "errors": [...]}``."""
        return {"logurl": logurl, "errors": [error.as_dict() for error in self.errors]}


class LogParser:
    """Incremental parser: :meth:`feed` decompressed bytes in order, then :meth:`finish`.

    Chunks may split lines anywhere; an incomplete last line is carried over.
    """

    def __init__(
        self,
        *,
        max_errors: int = MAX_ERROR_LINES,
        extract_performance: bool = True,
        use_re2: bool = True,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self._collector = ErrorLineCollector(max_errors)
        self._extract_performance = extract_performance
        self._use_re2 = use_re2
        self._performance_data: list[dict[str, Any]] = []
        self._carry = b""
        self._max_line_bytes = max_line_bytes
        self._overlong = False  # inside a line longer than max_line_bytes
        self._long_line_ended_with_cr = False
        self._line_number = 0  # number of the first line of the next chunk
        self._finished = False
        self._prefilter = self._build_prefilter()

    def _build_prefilter(self) -> Any:
        collecting_errors = not self._collector.complete
        if not collecting_errors and not self._extract_performance:
            return None
        pattern = prefilter_pattern(
            errors=collecting_errors,
            taskcluster_marker=collecting_errors and not self._collector.is_taskcluster,
            extra=(_PERFHERDER_BYTES,) if self._extract_performance else (),
        )
        return _compile_prefilter(pattern, self._use_re2)

    @property
    def done(self) -> bool:
        """True when no later line can change the result (cap reached, no perf extraction)."""
        return self._prefilter is None

    def feed(self, data: bytes) -> None:
        """Parse the complete lines in *data* (plus what was carried over)."""
        if self._finished:
            raise RuntimeError("feed() after finish()")
        if self._overlong:
            data = self._skip_rest_of_long_line(data)
        cut = data.rfind(b"\n") + 1
        if not cut:
            # No \n: a \r that is not the last byte cannot be the first half of a \r\n.
            cut = data.rfind(b"\r", 0, len(data) - 1) + 1
        if not cut:
            self._extend_line(data)
            return
        # One copy builds sentinel + carried partial line + complete lines.
        chunk = b"".join((_LINE_BREAK_SENTINEL, self._carry, memoryview(data)[:cut]))
        self._carry = data[cut:]
        self._scan(chunk)

    def _extend_line(self, data: bytes) -> None:
        """Carry a block without a usable line break; very long lines keep only their start."""
        self._carry += data
        # The carry holds no \n, and a \r before its last byte ends a line: find the current one.
        line_start = self._carry.rfind(b"\r", 0, len(self._carry) - 1) + 1
        if len(self._carry) - line_start > self._max_line_bytes:
            # Rules look at 500 characters; only a PERFHERDER_DATA line could need more, and
            # one this long is not real.  Bounding the line bounds memory and copying.
            keep = line_start + self._max_line_bytes
            # The block may end with the line's break: a \r whose \n may follow.
            self._long_line_ended_with_cr = self._carry.endswith(b"\r")
            self._carry = self._carry[:keep]
            self._overlong = True

    def _skip_rest_of_long_line(self, data: bytes) -> bytes:
        """Drop what is left of an overlong line from *data*; return the part after it."""
        if self._long_line_ended_with_cr:
            # The previous block ended the line with a \r (alone, or the start of a \r\n).
            self._long_line_ended_with_cr = self._overlong = False
            self._carry += b"\r"
            return data
        found = _LINE_BREAK.search(data)
        if found is None:
            return b""
        if found.start() == len(data) - 1 and data.endswith(b"\r"):
            self._long_line_ended_with_cr = True  # a \n may follow in the next block
            return b""
        self._overlong = False
        return data[found.start() :]

    def finish(self) -> LogParseResult:
        """Parse the last (unterminated) line and return the result."""
        if not self._finished:
            if self._carry:
                self._scan(_LINE_BREAK_SENTINEL + self._carry)
                if not self._carry.endswith((b"\n", b"\r")):
                    self._line_number += 1
                self._carry = b""
            self._finished = True
        return LogParseResult(list(self._collector.errors), list(self._performance_data), self._line_number)

    def _scan(self, buf: bytes) -> None:
        """Handle every candidate line of *buf*.

        *buf* starts with one sentinel line break (so that line-start anchors in the
        prefilter need no special case; it is not counted) and ends at a line break
        or is the log's tail.
        """
        buf, has_crlf = _normalise_line_breaks(buf)
        cursor = 1  # start of a line whose number is cursor_line
        cursor_line = self._line_number
        size = len(buf)
        pos = 0
        while self._prefilter is not None and pos < size:
            match = self._prefilter.search(buf, pos)
            if match is None:
                break
            # The match's last byte is inside the candidate line (a line-start anchor
            # begins at the preceding line break).
            hit = match.end() - 1
            start = max(buf.rfind(b"\n", cursor, hit) + 1, cursor)
            breaks = buf.count(b"\n", cursor, start)
            end = buf.find(b"\n", hit)
            if end < 0:
                end = size
            next_start = end + 1
            if has_crlf and buf[end - 1] == 13:  # the \r of a \r\n
                end -= 1
            line_number = cursor_line + breaks
            self._handle_line(buf[start:end], line_number)
            if next_start > size:  # the log's unterminated last line: finish() counts it
                cursor, cursor_line = size, line_number
                break
            cursor = next_start
            cursor_line = line_number + 1
            pos = next_start - 1  # the line break, so a line-start anchor can match
        # Count the remaining line breaks of this chunk.
        if cursor < size:
            cursor_line += buf.count(b"\n", cursor)
        self._line_number = cursor_line

    def _handle_line(self, raw: bytes, line_number: int) -> None:
        line = raw.decode("utf-8", "replace")
        has_perf_data = PERFHERDER_MARKER in line
        if has_perf_data and self._extract_performance:
            obj = extract_performance_object(line, line_number)
            if obj is not None:
                self._performance_data.append(obj)
        collector = self._collector
        if collector.complete:
            return
        was_taskcluster = collector.is_taskcluster
        collector.feed(line if has_perf_data else line[:MAX_LINE_LENGTH], line_number)
        if collector.complete or collector.is_taskcluster != was_taskcluster:
            self._prefilter = self._build_prefilter()


def parse_log_chunks(
    chunks: Iterable[bytes],
    *,
    max_errors: int = MAX_ERROR_LINES,
    extract_performance: bool = True,
    max_bytes: int | None = None,
) -> LogParseResult:
    """Parse a log given as raw (possibly gzip-compressed) byte chunks."""
    parser = LogParser(max_errors=max_errors, extract_performance=extract_performance)
    for block in iter_decompressed(chunks, max_bytes=max_bytes):
        parser.feed(block)
        if parser.done:
            break
    return parser.finish()


def parse_log_bytes(data: bytes, **options: Any) -> LogParseResult:
    """Parse a whole log held in memory (gzip-compressed or plain)."""
    return parse_log_chunks([data], **options)


def iter_file_blocks(fileobj: IO[bytes], block_size: int = READ_BLOCK) -> Iterator[bytes]:
    """Read a binary file object in blocks."""
    while block := fileobj.read(block_size):
        yield block


def parse_log_file(fileobj: IO[bytes], **options: Any) -> LogParseResult:
    """Parse a log from a binary file object (gzip-compressed or plain), streaming."""
    return parse_log_chunks(iter_file_blocks(fileobj), **options)


def parse_error_lines(lines: Iterable[bytes | str], *, max_errors: int = MAX_ERROR_LINES) -> list[ErrorLine]:
    """Error lines of an already split log (0-based numbering), without the prefilter.

    The simple reference path: every line is decoded, cut and checked by the rules.
    """
    collector = ErrorLineCollector(max_errors)
    for number, line in enumerate(lines):
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        if PERFHERDER_MARKER not in line:
            line = line[:MAX_LINE_LENGTH]
        collector.feed(line, number)
        if collector.complete:
            break
    return collector.errors
