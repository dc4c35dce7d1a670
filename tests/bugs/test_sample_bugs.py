"""The bundled sample bugs: `load-sample-data` loads them and they match the sample logs' failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from treeherder.bugs.importer import bug_rows, import_bug_file, read_bug_file
from treeherder.bugs.search import search_bugs
from treeherder.logs.bugsuggest import bug_search
from treeherder.logs.remote import PARSED, parse_text_log
from treeherder.sample import SAMPLE_BUGS, SAMPLE_LOGS

SAMPLE_LOG_DIR = Path(__file__).parents[2] / "treeherder" / "data" / "sample_logs"


def test_the_sample_bug_file_is_valid():
    rows = bug_rows(read_bug_file(SAMPLE_BUGS), str(SAMPLE_BUGS))
    assert len(rows) >= 10
    assert {row["resolution"] == "" for row in rows} == {True, False}  # both open_recent and all_others show


@pytest.mark.parametrize("log_name", SAMPLE_LOGS)
def test_every_sample_log_failure_finds_a_sample_bug(database, log_name):
    import_bug_file(database, SAMPLE_BUGS)
    outcome = parse_text_log(str(SAMPLE_LOG_DIR / log_name), allow_local=True)
    assert outcome.status == PARSED and outcome.result is not None
    found = set()
    with database.read() as conn:
        for error in outcome.result.errors:
            terms = bug_search(error.line).search_terms
            found.update(bug["id"] for term in terms for bug in search_bugs(conn, term))
    assert found, f"no sample bug matches an error line of {log_name}"


def test_load_sample_data_fills_the_bugs_cache(database):
    from treeherder.cli import _load_sample_bugs

    _load_sample_bugs(database)
    _load_sample_bugs(database)  # loading the sample twice keeps one copy
    with database.read() as conn:
        found = search_bugs(conn, "browser_console_enable_network_monitoring.js")
    assert [bug["id"] for bug in found] == [1801433, 1754080]
