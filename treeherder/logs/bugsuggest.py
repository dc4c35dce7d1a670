"""Search terms for bug suggestions, derived from one error line (reference LOGS.md §4).

Pure string functions: the database-side search (bug summaries, counters) uses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Search terms are cut to this many characters.
MAX_SEARCH_TERM_LENGTH = 100

_MOZHARNESS_PREFIX = re.compile(r"^\d+:\d+:\d+[ ]+(?:DEBUG|INFO|WARNING|ERROR|CRITICAL|FATAL) - [ ]?")
_PROCESS_PREFIX = re.compile(r"(?:PID \d+|GECKO\(\d+\)) \| +")
_CPP_LINE = re.compile(r"\.cpp:\d+")
_CHILD_THREAD = re.compile(r"\[Child \d+, \w+ Thread")
_PARENT_THREAD = re.compile(r"\[Parent \d+, \w+ Thread")
_LEADING_PID = re.compile(r"^\[\d+\] +")

_LEAK = re.compile(r"\d+ bytes leaked \((.+)\)$|leak at (.+)$")
_REFTEST_REFERENCE = re.compile(r"\s+[=!]=\s+.*")
_MARIONETTE_TEST = re.compile(r".+marionette([_harness/]?).*/test_.+.py ([A-Za-z]+).+")
_RESULT_PREFIX = re.compile(r"^(TEST-UNEXPECTED-\S+|PROCESS-CRASH)\s+\|\s+")
_CRASH_SIGNATURE = re.compile(r".+ application crashed \[@ (.+)\] \|.+")

#: Terms that match far too many bugs to be useful.
UNHELPFUL_SEARCH_TERMS = frozenset(
    {
        "automation.py",
        "remoteautomation.py",
        "Shutdown",
        "undefined",
        "Main app process exited normally",
        "Traceback (most recent call last):",
        "Return code: 0",
        "Return code: 1",
        "Return code: 2",
        "Return code: 10",
        "mozalloc_abort(char const*)",
        "mozalloc_abort",
        "CrashingThread(void *)",
        "gtest",
        "Last test finished",
        "leakcheck",
        "LeakSanitizer",
        "# TBPL FAILURE #",
    }
)

# Normalisation of lines for the per-day occurrence counter (§4.4), applied in order.
_COUNTER_NORMALISATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r" \d+\.\d+ "), " X "),
    (re.compile(r" leaked \d+ window(s)"), " leaked X window(s)"),
    (re.compile(r" \d+ bytes leaked"), " X bytes leaked"),
    (re.compile(r" value=\d+"), " value=*"),
    (re.compile(r"ot \d+, expected \d+"), "ot X, expected Y"),
    (re.compile(r" http://localhost:\d+/"), " http://localhost:X/"),
    (re.compile(r" finished in \d+ms"), " finished"),
)


@dataclass(frozen=True, slots=True)
class BugSearch:
    """What to search bug summaries for, for one error line."""

    search: str
    """The cleaned error line (the ``search`` field of a bug-suggestion item)."""
    search_terms: list[str]
    """Terms to look up (empty when the line gives nothing helpful)."""
    path_end: str | None
    """The test path the line names, if any."""
    crash_signature: str | None
    """A crash signature to search when the terms find nothing."""


def clean_error_line(line: str) -> str:
    """Remove mozharness/process prefixes and run-specific numbers (the ``search`` text)."""
    line = _MOZHARNESS_PREFIX.sub("", line, count=1).strip()
    line = _PROCESS_PREFIX.sub("", line)
    line = _CPP_LINE.sub(".cpp:X", line)
    line = _CHILD_THREAD.sub("[Child X, Y Thread", line)
    line = _PARENT_THREAD.sub("[Parent X, Y Thread", line)
    return _LEADING_PID.sub("", line, count=1)


def is_helpful_search_term(term: str) -> bool:
    """Long enough (more than 4 characters stripped) and not a known catch-all."""
    term = term.strip()
    return len(term) > 4 and term not in UNHELPFUL_SEARCH_TERMS


def search_term_and_path(clean_line: str) -> tuple[str | None, str | None]:
    """The search term and test path for an already cleaned error line."""
    term: str | None = None
    path_end: str | None = None
    tokens = clean_line.split(" | ")
    if len(tokens) >= 3:
        is_crash = "PROCESS-CRASH" in tokens[0]
        test, message = (tokens[2], tokens[1]) if is_crash else (tokens[1], tokens[2])
        leak = _LEAK.search(message)
        if leak:
            term = leak.group(1) if leak.group(1) is not None else leak.group(2)
        else:
            test = _REFTEST_REFERENCE.sub("", test).replace("\\", "/")
            if _MARIONETTE_TEST.match(test):
                test = test[: test.index(".py") + 3]
            path_end = test
            term = message if is_crash else test.rsplit("/", 1)[-1]
    if not (term and is_helpful_search_term(term)):
        if is_helpful_search_term(clean_line):
            term = clean_line
        else:
            term = None
            if path_end is not None and "/" not in path_end:
                path_end = None
    if term:
        term = _RESULT_PREFIX.sub("", term, count=1)[:MAX_SEARCH_TERM_LENGTH]
    return term, path_end


def crash_signature(clean_line: str) -> str | None:
    """The ``[@ signature]`` of an ``application crashed`` line, when helpful."""
    match = _CRASH_SIGNATURE.match(clean_line)
    if match and is_helpful_search_term(match.group(1)):
        return match.group(1)
    return None


def bug_search(line: str) -> BugSearch:
    """Everything the bug-suggestion search needs for one stored error line."""
    cleaned = clean_error_line(line)
    term, path_end = search_term_and_path(cleaned)
    terms: list[str] = []
    if term:
        terms.append(term)
        if "?" in term:  # web-platform-test variants: also search without the query
            terms.append(term.split("?", 1)[0])
    return BugSearch(cleaned, terms, path_end, crash_signature(cleaned))


def normalize_for_counter(line: str) -> str:
    """Normalise a cleaned line so repeated failures with varying numbers count together."""
    for pattern, replacement in _COUNTER_NORMALISATIONS:
        line = pattern.sub(replacement, line)
    return line
