"""The log-lines endpoint the log viewer reads: ranges, line numbering, caching and the fetcher's safety rules."""

from __future__ import annotations

import dataclasses
import gzip

import pytest

from tests import factories
from tests.conftest import LiveServer, make_app
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.logs.parser import parse_log_bytes

REPO = "mozilla-central"


def _store_job(ingestor, log_url: str | None, guid: str = "log-job-1") -> int:
    push = factories.push(1)
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    fields = {"log_references": [{"name": "live_backing_log", "url": log_url, "parse_status": "parsed"}]} if log_url else {}
    datum = factories.job(push["revision"], guid=guid, result="testfailed", **fields)
    return ingestor.store_jobs(REPO, parse_job_collection([datum])).job_ids[guid]


@pytest.fixture
def allowlisted_client(settings, database):
    """A server whose log fetcher may read from loopback (where the tests' log server listens)."""
    app = make_app(dataclasses.replace(settings, log_fetch_allowlist=("127.0.0.1",)), database)
    server = LiveServer(app).start()
    try:
        with server.client() as http_client:
            yield http_client
    finally:
        server.stop()


def test_ranges_follow_the_parsers_line_numbers(allowlisted_client, ingestor, log_server, shared_fixtures):
    raw = (shared_fixtures / "logs" / "mochitest-fail.log.gz").read_bytes()
    (log_server.folder / "mochitest-fail.log.gz").write_bytes(raw)
    job_id = _store_job(ingestor, f"{log_server.url}/mochitest-fail.log.gz")
    error = parse_log_bytes(gzip.decompress(raw)).errors[0]
    all_lines = gzip.decompress(raw).decode("utf-8", errors="replace").splitlines()

    answer = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": error.linenumber, "end": error.linenumber + 2})
    assert answer.status_code == 200
    body = answer.json()
    assert body["total_lines"] == len(all_lines)
    assert (body["job_id"], body["log_name"], body["start"], body["end"]) == (job_id, "live_backing_log", error.linenumber, error.linenumber + 2)
    assert body["lines"] == all_lines[error.linenumber : error.linenumber + 2]
    assert "TEST-UNEXPECTED-FAIL" in body["lines"][0]

    # Default window, the end clamped to the log, and a start past the end.
    first = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/").json()
    assert (first["start"], first["end"], first["lines"]) == (0, 1000, all_lines[:1000])
    tail = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": len(all_lines) - 3, "end": len(all_lines) + 50}).json()
    assert tail["lines"] == all_lines[-3:]
    past = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": len(all_lines) + 10}).json()
    assert past["lines"] == [] and past["start"] == past["end"] == len(all_lines)
    # A window is capped at 5,000 lines.
    big = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": 0, "end": 100_000}).json()
    assert big["end"] == 5000 and len(big["lines"]) == 5000
    # Downloaded once, then served from the disk cache.
    assert log_server.requests == ["/mochitest-fail.log.gz"]


def test_line_breaks_are_counted_like_the_parser(allowlisted_client, ingestor, log_server):
    text = b"one\r\ntwo\rthree\nTEST-UNEXPECTED-FAIL | a.html | boom\r\nlast without break"
    (log_server.folder / "mixed.log").write_bytes(text)
    job_id = _store_job(ingestor, f"{log_server.url}/mixed.log")
    body = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/").json()
    assert body["lines"] == ["one", "two", "three", "TEST-UNEXPECTED-FAIL | a.html | boom", "last without break"]
    assert parse_log_bytes(text).errors[0].linenumber == 3


def test_unknown_job_other_project_and_missing_log(allowlisted_client, ingestor):
    job_id = _store_job(ingestor, None)
    missing = allowlisted_client.get(f"/api/project/{REPO}/jobs/999999/log/")
    assert (missing.status_code, missing.json()) == (404, "No job with id: 999999")
    elsewhere = allowlisted_client.get(f"/api/project/autoland/jobs/{job_id}/log/")
    assert (elsewhere.status_code, elsewhere.json()) == (404, f"No job with id: {job_id}")
    no_log = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/")
    assert (no_log.status_code, no_log.json()) == (404, {"detail": f"No log for job {job_id}"})
    unknown_project = allowlisted_client.get("/api/project/nope/jobs/1/log/")
    assert unknown_project.json() == {"detail": "No project with name nope"}
    negative = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": -1})
    assert negative.status_code == 400


def test_fetch_failures_are_reported(allowlisted_client, ingestor, log_server):
    job_id = _store_job(ingestor, f"{log_server.url}/not-there.log")
    answer = allowlisted_client.get(f"/api/project/{REPO}/jobs/{job_id}/log/")
    assert answer.status_code == 502
    assert "HTTP 404" in answer.json()["detail"]


def test_private_addresses_are_refused_without_the_allowlist(client, ingestor, log_server):
    (log_server.folder / "secret.log").write_bytes(b"internal data\n")
    job_id = _store_job(ingestor, f"{log_server.url}/secret.log")
    answer = client.get(f"/api/project/{REPO}/jobs/{job_id}/log/")
    assert answer.status_code == 502
    assert "refusing" in answer.json()["detail"]
    assert log_server.requests == []


def test_sample_logs_are_read_from_the_package(client, ingestor, settings):
    url = f"{settings.site_url}/sample-logs/reftest-fail.log.gz"
    job_id = _store_job(ingestor, url)
    body = client.get(f"/api/project/{REPO}/jobs/{job_id}/log/", params={"start": 0, "end": 3}).json()
    assert body["total_lines"] > 100
    assert len(body["lines"]) == 3
    # Only names of packaged files: anything else goes through the fetcher (and is refused as loopback).
    sneaky = _store_job(ingestor, f"{settings.site_url}/sample-logs/../../etc/passwd", guid="log-job-2")
    assert client.get(f"/api/project/{REPO}/jobs/{sneaky}/log/").status_code == 502


def test_cache_keeps_to_its_budget_dropping_the_least_recently_used(tmp_path, log_server):
    import os

    from treeherder.logs.fetch import FetchOptions
    from treeherder.web.log_cache import LogCache

    for name in ("a.log", "b.log", "c.log"):
        (log_server.folder / name).write_bytes(f"{name}\n".encode() * 1000)  # 6,000 bytes of text and an 8,008-byte index each
    cache = LogCache(tmp_path / "cache", FetchOptions(allowlist=("127.0.0.1",)), budget_bytes=30_000)
    a = cache.get(f"{log_server.url}/a.log")
    cache.get(f"{log_server.url}/b.log")
    # Reading "a" again makes "b" the least recently used; an index file's time records the last use.
    os.utime(cache._paths(f"{log_server.url}/b.log")[1], (1, 1))
    assert cache.get(f"{log_server.url}/a.log").lines(0, 2) == ["a.log", "a.log"]
    cache.get(f"{log_server.url}/c.log")
    assert a.line_count == 1000
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.idx")) == sorted(
        cache._paths(f"{log_server.url}/{name}")[1].name for name in ("a.log", "c.log")
    )
    # An evicted log is fetched again when asked for.
    cache.get(f"{log_server.url}/b.log")
    assert log_server.requests.count("/b.log") == 2


def test_a_log_is_chosen_by_name(allowlisted_client, ingestor, log_server):
    (log_server.folder / "summary.log").write_bytes(b'{"action": "test_groups"}\n')
    (log_server.folder / "raw.log").write_bytes(b"raw line 1\nraw line 2\n")
    push = factories.push(1)
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    logs = [
        {"name": "errorsummary_json", "url": f"{log_server.url}/summary.log", "parse_status": "parsed"},
        {"name": "live_backing_log", "url": f"{log_server.url}/raw.log", "parse_status": "parsed"},
    ]
    datum = factories.job(push["revision"], guid="two-logs", result="testfailed", log_references=logs)
    job_id = ingestor.store_jobs(REPO, parse_job_collection([datum])).job_ids["two-logs"]
    url = f"/api/project/{REPO}/jobs/{job_id}/log/"
    # By default the raw text log, whatever the order the logs were submitted in.
    assert allowlisted_client.get(url).json()["lines"] == ["raw line 1", "raw line 2"]
    named = allowlisted_client.get(url, params={"name": "errorsummary_json"}).json()
    assert (named["log_name"], named["lines"]) == ("errorsummary_json", ['{"action": "test_groups"}'])
    missing = allowlisted_client.get(url, params={"name": "nope"})
    assert (missing.status_code, missing.json()) == (404, {"detail": f"No log named nope for job {job_id}"})
