"""Bug-suggestion search terms from error lines."""

from __future__ import annotations

from treeherder.logs.bugsuggest import (
    bug_search,
    clean_error_line,
    is_helpful_search_term,
    normalize_for_counter,
)


def test_cleaning() -> None:
    assert clean_error_line("10:01:02     INFO -  GECKO(123) | [456] Hit MOZ_CRASH at a.cpp:244") == (
        "Hit MOZ_CRASH at a.cpp:X")
    assert clean_error_line("PID 9 | [Child 12, Main Thread] x") == "[Child X, Y Thread] x"
    assert clean_error_line("[Parent 7, IPC Thread] y") == "[Parent X, Y Thread] y"


def test_test_path_line() -> None:
    found = bug_search(
        "10:01:02     INFO - TEST-UNEXPECTED-FAIL | dom/tests/test_a.html | assertion count 2 is more than expected")
    assert found.search == "TEST-UNEXPECTED-FAIL | dom/tests/test_a.html | assertion count 2 is more than expected"
    assert found.search_terms == ["test_a.html"]
    assert found.path_end == "dom/tests/test_a.html"


def test_reftest_reference_and_backslashes_removed() -> None:
    found = bug_search("REFTEST TEST-UNEXPECTED-FAIL | a\\b\\c.html == a/c-ref.html | image comparison")
    assert found.search_terms == ["c.html"] and found.path_end == "a/b/c.html"


def test_marionette_path_cut_at_py() -> None:
    found = bug_search(
        "TEST-UNEXPECTED-FAIL | testing/marionette/harness/tests/test_click.py TestClick.test_x | boom")
    assert found.path_end == "testing/marionette/harness/tests/test_click.py"
    assert found.search_terms == ["test_click.py"]


def test_leak_line_uses_leaked_objects() -> None:
    found = bug_search("TEST-UNEXPECTED-FAIL | leakcheck | default 1234 bytes leaked (nsFoo, nsBar)")
    assert found.search_terms == ["nsFoo, nsBar"]


def test_unhelpful_term_falls_back_to_line() -> None:
    found = bug_search("TEST-UNEXPECTED-TIMEOUT | automation.py | application timed out after 370 seconds")
    assert found.search_terms == ["automation.py | application timed out after 370 seconds"]
    assert found.path_end == "automation.py"
    nothing = bug_search("10:01:02    ERROR - Return code: 1")
    assert nothing.search_terms == [] and nothing.path_end is None


def test_crash_line_and_signature() -> None:
    found = bug_search("PROCESS-CRASH | application crashed [@ mozilla::Foo] | dom/a/test_b.html")
    assert found.search_terms == ["application crashed [@ mozilla::Foo]"]
    assert found.path_end == "dom/a/test_b.html"
    assert found.crash_signature == "mozilla::Foo"


def test_query_variant_and_truncation() -> None:
    found = bug_search("TEST-UNEXPECTED-FAIL | /webdriver/tests/x.html?a=1 | fails")
    assert found.search_terms == ["x.html?a=1", "x.html"]
    long_line = "abort: " + "z" * 300
    assert len(bug_search(long_line).search_terms[0]) == 100


def test_helpful_and_counter_normalisation() -> None:
    assert not is_helpful_search_term("  gtest ") and not is_helpful_search_term("abcd")
    assert is_helpful_search_term("abcde")
    assert normalize_for_counter("took 1.25 s, 12 bytes leaked, got 3, expected 4 finished in 30ms") == (
        "took X s, X bytes leaked, got X, expected Y finished")
