"""Fetch-and-parse with an upstream parse status (``parsed``, ``failed``, ``skipped-size``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from treeherder.logs.decompress import CorruptLogError, LogTooLargeError, iter_decompressed
from treeherder.logs.errorsummary import ErrorSummary, ErrorSummaryError, parse_error_summary
from treeherder.logs.fetch import FetchOptions, LogFetchError, fetch_log
from treeherder.logs.parser import LogParser, LogParseResult, iter_file_blocks

logger = logging.getLogger(__name__)

T = TypeVar("T")

PARSED = "parsed"
FAILED = "failed"
SKIPPED_SIZE = "skipped-size"


@dataclass(frozen=True)
class ParseOutcome(Generic[T]):
    """The parse status to store on the job log, the result when parsed, and why not otherwise."""

    status: str
    result: T | None = None
    error: str | None = None
    retryable: bool = False
    """True when a later try may succeed (server error, timeout)."""


def consume_text_log(blocks: Iterator[bytes]) -> LogParseResult:
    """Parse a decompressed text-log body."""
    parser = LogParser()
    for block in blocks:
        parser.feed(block)
        if parser.done:
            break
    return parser.finish()


def iter_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a body given in blocks (split as ``bytes.splitlines``), read only as far as needed."""
    carry = b""
    for block in blocks:
        lines = (carry + block).splitlines(keepends=True)
        # The last piece may continue in the next block (also a \r whose \n has not arrived).
        carry = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        for line in lines:
            yield line.rstrip(b"\r\n")
    if carry:
        yield carry.rstrip(b"\r\n")


def consume_error_summary(blocks: Iterator[bytes]) -> ErrorSummary:
    """Parse a decompressed errorsummary body; reading stops after the failure-line cutoff."""
    return parse_error_summary(iter_lines(blocks))


def is_url(source: str) -> bool:
    """Whether *source* names an http(s) URL rather than a local path."""
    return source.startswith(("http://", "https://"))


def run_parse(
    source: str,
    consume: Callable[[Iterator[bytes]], T],
    options: FetchOptions | None = None,
    *,
    allow_local: bool = False,
) -> ParseOutcome[T]:
    """Fetch (or read, when *allow_local*) *source* and parse it, mapping failures to a status.

    Local files are only for trusted callers such as the command line; the server always
    passes URLs.
    """
    options = options or FetchOptions()
    try:
        if is_url(source) or not allow_local:
            result = fetch_log(source, consume, options)
        else:
            with open(Path(source), "rb") as fh:
                result = consume(iter_decompressed(iter_file_blocks(fh), options.max_decompressed_bytes))
    except LogTooLargeError as exc:
        return ParseOutcome(SKIPPED_SIZE, error=str(exc))
    except LogFetchError as exc:
        logger.info("fetching %s failed: %s", source, exc)
        return ParseOutcome(FAILED, error=str(exc), retryable=exc.retryable)
    except (CorruptLogError, ErrorSummaryError, OSError) as exc:
        logger.info("parsing %s failed: %s", source, exc)
        return ParseOutcome(FAILED, error=str(exc))
    return ParseOutcome(PARSED, result=result)


def parse_text_log(source: str, options: FetchOptions | None = None, *, allow_local: bool = False
                   ) -> ParseOutcome[LogParseResult]:  # fmt: skip
    """Error lines and PERFHERDER_DATA of a text log (``live_backing_log``)."""
    return run_parse(source, consume_text_log, options, allow_local=allow_local)


def parse_error_summary_log(source: str, options: FetchOptions | None = None, *, allow_local: bool = False
                            ) -> ParseOutcome[ErrorSummary]:  # fmt: skip
    """Failure lines and group results of a structured ``errorsummary_json`` log."""
    return run_parse(source, consume_error_summary, options, allow_local=allow_local)
