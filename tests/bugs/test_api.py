"""`GET /api/project/{project}/jobs/{id}/bug_suggestions/` over bugs imported with `treeherder bugs import`."""

from __future__ import annotations

import json

from tests import factories
from treeherder.bugs.importer import import_bug_file
from treeherder.ingest.parse import parse_job_collection, parse_push_collection

REPOSITORY = "mozilla-central"
WPT_LINE = (
    "TEST-UNEXPECTED-FAIL | /html/semantics/forms/form-submission.html?include=file | "
    "submitting a file - assert_equals: expected 1 but got 0"
)
CRASH_LINE = "PROCESS-CRASH | application crashed [@ mozilla::dom::Worker::Run] | dom/workers/test/test_x.html"


def _store_job_with_errors(ingestor, *lines: str) -> int:
    push = factories.push(timestamp=1_700_000_000)
    ingestor.store_pushes(REPOSITORY, parse_push_collection([push]))
    artifact = {
        "name": "text_log_summary",
        "type": "json",
        "blob": {"errors": [{"linenumber": 10 * (n + 1), "line": line} for n, line in enumerate(lines)]},
    }
    job = factories.job(push["revision"], guid="failed", artifacts=[artifact])
    return ingestor.store_jobs(REPOSITORY, parse_job_collection([job])).job_ids["failed"]


def _import(database, tmp_path, *bugs: dict) -> None:
    path = tmp_path / "bugs.json"
    path.write_text(json.dumps({"bugs": list(bugs)}))
    import_bug_file(database, path)


def _bug(bug_id: int, summary: str, resolution: str = "", **fields) -> dict:
    status = "RESOLVED" if resolution else "NEW"
    return {"id": bug_id, "summary": summary, "status": status, "resolution": resolution, "keywords": [], **fields}


def test_suggestions_for_stored_errors(client, ingestor, database, tmp_path):
    job_id = _store_job_with_errors(
        ingestor, "08:00:01     INFO - " + WPT_LINE, CRASH_LINE, "Return code: 1"
    )
    _import(
        database,
        tmp_path,
        _bug(
            501,
            "Intermittent /html/semantics/forms/form-submission.html | submitting a file",
            keywords=["intermittent-failure", "wpt"],
        ),
        _bug(502, "[wpt] form-submission.html?include=file fails", "FIXED"),
        _bug(503, "Crash in [@ mozilla::dom::Worker::Run]", cf_crash_signature="[@ mozilla::dom::Worker::Run]"),
        _bug(504, "Intermittent dom/workers/test/other.html | single tracking bug"),
    )  # fmt: skip
    response = client.get(f"/api/project/{REPOSITORY}/jobs/{job_id}/bug_suggestions/")
    assert response.status_code == 200
    wpt, crash, unhelpful = response.json()
    assert wpt["search"] == WPT_LINE
    assert wpt["search_terms"] == ["form-submission.html?include=file", "form-submission.html"]
    assert [bug["id"] for bug in wpt["bugs"]["open_recent"]] == [501]
    assert wpt["bugs"]["open_recent"][0]["keywords"] == "intermittent-failure,wpt"
    assert [bug["id"] for bug in wpt["bugs"]["all_others"]] == [502]
    assert wpt["line_number"] == 10
    # The crash line's own term (the test name) finds nothing: its crash signature is searched and listed.
    assert crash["search_terms"] == ["application crashed [@ mozilla::dom::Worker::Run]", "mozilla::dom::Worker::Run"]
    assert [bug["id"] for bug in crash["bugs"]["open_recent"]] == [503]
    assert crash["bugs"]["open_recent"][0]["crash_signature"] == "[@ mozilla::dom::Worker::Run]"
    assert unhelpful["search_terms"] == [] and unhelpful["bugs"] == {"open_recent": [], "all_others": []}


def test_reimporting_a_resolved_bug_moves_it_to_all_others(client, ingestor, database, tmp_path):
    job_id = _store_job_with_errors(ingestor, WPT_LINE)
    _import(database, tmp_path, _bug(601, "form-submission.html is flaky"))
    url = f"/api/project/{REPOSITORY}/jobs/{job_id}/bug_suggestions/"
    assert [bug["id"] for bug in client.get(url).json()[0]["bugs"]["open_recent"]] == [601]
    _import(database, tmp_path, _bug(601, "form-submission.html is flaky", "FIXED"))
    bugs = client.get(url).json()[0]["bugs"]
    assert bugs["open_recent"] == [] and [bug["id"] for bug in bugs["all_others"]] == [601]
