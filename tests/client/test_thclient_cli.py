"""The ``thclient`` command line: commands, parameters, table and JSON output, errors."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from client_support import SERVER
from responses import matchers
from thclient.cli import main, render_table

PUSH = {
    "id": 1201,
    "revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "author": "dev@example.org",
    "revision_count": 2,
    "push_timestamp": 1740660946,
    "repository_id": 77,
    "revisions": [{"revision": "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "author": "Dev <dev@example.org>",
                   "comments": "Bug 1 - fix it r=me\n\nLonger description"}],
}
JOB = {
    "id": 5001, "push_id": 1201, "platform": "linux64", "platform_option": "opt", "job_group_symbol": "M",
    "job_type_symbol": "1", "job_type_name": "test-linux64/opt-mochitest-1", "state": "completed",
    "result": "testfailed", "tier": 1,
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["--server", SERVER, *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_pushes_table(mocked, capsys):
    mocked.get(
        f"{SERVER}/api/project/autoland/push/",
        match=[matchers.query_param_matcher({"count": "5"})],
        json={"meta": {}, "results": [PUSH]},
    )
    status, out, _ = run(capsys, "pushes", "autoland", "--count", "5")
    assert status == 0
    header, rule, row = out.splitlines()
    assert header.split() == ["id", "revision", "author", "pushed", "(UTC)", "commits", "tip", "commit"]
    assert set(rule) <= {"-", " "}
    assert row.split()[:4] == ["1201", "4a1b2c3d4e5f", "dev@example.org", "2025-02-27"]
    assert row.endswith("Bug 1 - fix it r=me")


def test_pushes_json_output_is_the_results_list(mocked, capsys):
    mocked.get(f"{SERVER}/api/project/autoland/push/", json={"meta": {}, "results": [PUSH]})
    status, out, _ = run(capsys, "pushes", "autoland", "--format", "json")
    assert status == 0
    assert json.loads(out) == [PUSH]


def test_format_option_is_accepted_before_the_command(mocked, capsys):
    mocked.get(f"{SERVER}/api/project/autoland/push/", json={"meta": {}, "results": [PUSH]})
    status, out, _ = run(capsys, "--format", "json", "pushes", "autoland")
    assert status == 0 and json.loads(out) == [PUSH]


def test_jobs_for_a_push_with_result_filter(mocked, capsys):
    mocked.get(
        f"{SERVER}/api/project/autoland/jobs/",
        match=[matchers.query_param_matcher({"push_id": "1201", "result": "testfailed"})],
        json={"results": [JOB], "meta": {}},
    )
    status, out, _ = run(capsys, "jobs", "autoland", "--push-id", "1201", "--result", "testfailed")
    assert status == 0
    row = out.splitlines()[2].split()
    assert row == ["5001", "1201", "linux64", "opt", "M(1)", "test-linux64/opt-mochitest-1", "completed",
                   "testfailed", "1"]


def test_jobs_all_pages_until_the_end(mocked, capsys):
    def serve(request):
        query = parse_qs(urlsplit(request.url).query)
        offset, count = int(query["offset"][0]), int(query["count"][0])
        rows = [dict(JOB, id=n) for n in range(offset, min(offset + count, 2500))]
        return 200, {}, json.dumps({"results": rows, "meta": {}})

    mocked.add_callback("GET", f"{SERVER}/api/project/autoland/jobs/", callback=serve)
    status, out, _ = run(capsys, "jobs", "autoland", "--all", "--format", "json")
    assert status == 0
    assert [job["id"] for job in json.loads(out)] == list(range(2500))


def test_extra_params_are_passed_and_repeated_keys_become_lists(mocked, capsys):
    mocked.get(f"{SERVER}/api/project/autoland/jobs/", json={"results": [], "meta": {}})
    status, _, _ = run(capsys, "jobs", "autoland", "-p", "tier__in=1,2", "-p", "state=pending", "-p", "state=running")
    assert status == 0
    assert parse_qs(urlsplit(mocked.calls[0].request.url).query) == {
        "tier__in": ["1,2"], "state": ["pending", "running"]
    }


def test_malformed_param_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["jobs", "autoland", "-p", "novalue"])
    assert raised.value.code == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_perf_data_table_and_json(mocked, capsys):
    signature = "9c3bd1b4e8e7ae3d6f4c2a1b0e9f8d7c6b5a4e3d"
    body = {signature: [
        {"id": 1, "signature_id": 4, "job_id": 7, "push_id": 10, "push_timestamp": 1740660946, "value": 100.5},
        {"id": 2, "signature_id": 4, "job_id": 8, "push_id": 11, "push_timestamp": 1740664546, "value": 98.25},
    ]}
    mocked.get(
        f"{SERVER}/api/project/autoland/performance/data/",
        match=[matchers.query_param_matcher({"signatures": signature, "interval": "604800"})],
        json=body,
    )
    status, out, _ = run(capsys, "perf-data", "autoland", "--signature", signature, "--interval", "604800")
    assert status == 0
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [row[-1] for row in rows] == ["100.5", "98.25"]
    assert rows[0][0] == signature[:12]
    status, out, _ = run(capsys, "perf-data", "autoland", "--signature", signature, "--interval", "604800",
                         "--format", "json")
    assert json.loads(out) == body


def test_perf_signatures_table_shows_hashes(mocked, capsys):
    mocked.get(
        f"{SERVER}/api/project/autoland/performance/signatures/",
        json={"abc123": {"id": 1, "framework_id": 1, "machine_platform": "linux64", "suite": "tp5o"}},
    )
    status, out, _ = run(capsys, "perf-signatures", "autoland", "--framework", "1")
    assert status == 0
    assert out.splitlines()[2].split() == ["abc123", "1", "linux64", "tp5o"]


def test_repositories_and_job_log_url(mocked, capsys):
    mocked.get(f"{SERVER}/api/repository/", json=[{"id": 77, "name": "autoland", "dvcs_type": "hg",
                                                   "url": "https://hg.mozilla.org/integration/autoland"}])
    mocked.get(
        f"{SERVER}/api/project/autoland/job-log-url/",
        match=[matchers.query_param_matcher({"job_id": ["5001", "5002"]})],
        json=[{"id": 9, "job_id": 5001, "name": "live_backing_log", "url": "https://x/log", "parse_status": "parsed"}],
    )
    status, out, _ = run(capsys, "repositories")
    assert status == 0 and "autoland" in out.splitlines()[2]
    status, out, _ = run(capsys, "job-log-url", "autoland", "--job-id", "5001", "--job-id", "5002")
    assert status == 0 and out.splitlines()[2].split() == ["5001", "live_backing_log", "parsed", "https://x/log"]


def test_http_error_exits_1_with_server_detail(mocked, capsys):
    mocked.get(f"{SERVER}/api/project/nope/push/", status=404, json={"detail": "No project with name nope"})
    status, out, err = run(capsys, "pushes", "nope")
    assert status == 1 and out == ""
    assert "HTTP 404: No project with name nope" in err


def test_server_comes_from_environment(mocked, capsys, monkeypatch):
    monkeypatch.setenv("TREEHERDER_URL", "http://from-env.test")
    mocked.get("http://from-env.test/api/repository/", json=[])
    assert main(["repositories", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_render_table_aligns_and_shortens_cells():
    table = render_table([{"a": "x" * 100, "b": 1}, {"a": "yy", "b": None}],
                         [("a", lambda r: r["a"]), ("bee", lambda r: r["b"])])
    lines = table.splitlines()
    second_column = lines[0].index("bee")
    assert second_column == 62 == lines[1].index("  ---") + 2 == lines[2].index("1")
    assert lines[2].endswith("x…  1") and len(lines[2].split()[0]) == 60
    assert lines[3].rstrip() == "yy"
