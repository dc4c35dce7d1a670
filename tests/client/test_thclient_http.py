"""TreeherderClient: URLs, headers, return shapes, paging, errors, retries, deadline and Hawk signing."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import thclient
from client_support import HAWK_ID, HAWK_SECRET, SERVER, verify_hawk
from responses import matchers
from thclient import TreeherderClient, TreeherderClientError, TreeherderHTTPError


def make_client(**kwargs) -> TreeherderClient:
    kwargs.setdefault("backoff", 0)
    return TreeherderClient(server_url=SERVER, **kwargs)


def query_of(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


# Construction and headers.


def test_server_url_defaults_to_environment_variable(monkeypatch):
    monkeypatch.setenv("TREEHERDER_URL", "http://localhost:8000/")
    assert TreeherderClient().server_url == "http://localhost:8000"


def test_server_url_defaults_to_mozilla_without_environment(monkeypatch):
    monkeypatch.delenv("TREEHERDER_URL", raising=False)
    assert TreeherderClient().server_url == "https://treeherder.mozilla.org"


def test_explicit_server_url_wins_over_environment(monkeypatch):
    monkeypatch.setenv("TREEHERDER_URL", "http://elsewhere:1")
    assert TreeherderClient(server_url="http://mine:2").server_url == "http://mine:2"


def test_requests_carry_version_user_agent_and_accept_headers(mocked):
    mocked.get(f"{SERVER}/api/repository/", json=[])
    make_client().get_repositories()
    headers = mocked.calls[0].request.headers
    assert headers["User-Agent"] == f"treeherder-pyclient/{thclient.__version__}"
    assert headers["Accept"] == "application/json; version=1.0"
    assert "Authorization" not in headers


def test_upstream_constants_are_kept():
    assert TreeherderClient.MAX_COUNT == 2000
    assert TreeherderClient.API_VERSION == "1.0"
    assert TreeherderClient.PUSH_ENDPOINT == "push"
    assert TreeherderClient.JOB_LOG_URL_ENDPOINT == "job-log-url"


# Reference data getters.


def test_get_option_collection_hash_maps_hash_to_options(mocked):
    mocked.get(
        f"{SERVER}/api/optioncollectionhash/",
        json=[
            {"option_collection_hash": "102210fe594ee9b33d82058545b1ed14f4c8206e", "options": [{"name": "opt"}]},
            {"option_collection_hash": "32faaecac742100f7753f0c1d0aa0add01b4046b", "options": [{"name": "debug"}]},
        ],
    )
    assert make_client().get_option_collection_hash() == {
        "102210fe594ee9b33d82058545b1ed14f4c8206e": [{"name": "opt"}],
        "32faaecac742100f7753f0c1d0aa0add01b4046b": [{"name": "debug"}],
    }


def test_get_repositories_and_failure_classifications_return_lists_as_served(mocked):
    repositories = [{"id": 77, "name": "autoland", "dvcs_type": "hg"}]
    classifications = [{"id": 1, "name": "not classified"}, {"id": 4, "name": "intermittent"}]
    mocked.get(f"{SERVER}/api/repository/", json=repositories)
    mocked.get(f"{SERVER}/api/failureclassification/", json=classifications)
    client = make_client()
    assert client.get_repositories() == repositories
    assert client.get_failure_classifications() == classifications


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get_products", "product"),
        ("get_job_groups", "jobgroup"),
        ("get_build_platforms", "buildplatform"),
        ("get_job_types", "jobtype"),
        ("get_machines", "machine"),
        ("get_machine_platforms", "machineplatform"),
    ],
)
def test_legacy_reference_getters_call_their_routes(mocked, method, path):
    mocked.get(f"{SERVER}/api/{path}/", json=[{"id": 1, "name": path}])
    assert getattr(make_client(), method)() == [{"id": 1, "name": path}]


def test_legacy_reference_getter_raises_http_error_on_removed_route(mocked):
    mocked.get(f"{SERVER}/api/jobtype/", status=404, json={"detail": "Not found."})
    with pytest.raises(requests.exceptions.HTTPError):
        make_client().get_job_types()


# Pushes and jobs.


def test_get_pushes_passes_params_and_returns_results(mocked):
    pushes = [{"id": 2, "revision": "b" * 40}, {"id": 1, "revision": "a" * 40}]
    mocked.get(
        f"{SERVER}/api/project/autoland/push/",
        match=[matchers.query_param_matcher({"count": "2", "author": "dev@example.org"})],
        json={"meta": {"count": 2, "repository": "autoland"}, "results": pushes},
    )
    assert make_client().get_pushes("autoland", count=2, author="dev@example.org") == pushes


def test_get_resultsets_is_a_deprecated_alias_that_forwards_params(mocked, caplog):
    mocked.get(
        f"{SERVER}/api/project/autoland/push/",
        match=[matchers.query_param_matcher({"revision": "abc"})],
        json={"meta": {}, "results": [{"id": 3}]},
    )
    with caplog.at_level(logging.WARNING, logger="thclient"):
        assert make_client().get_resultsets("autoland", revision="abc") == [{"id": 3}]
    assert "deprecated" in caplog.text


def test_get_jobs_with_small_count_makes_one_request(mocked):
    jobs = [{"id": n} for n in range(5)]
    mocked.get(
        f"{SERVER}/api/project/autoland/jobs/",
        match=[matchers.query_param_matcher({"push_id": "12", "count": "5"})],
        json={"results": jobs, "meta": {"offset": 0, "count": 5, "repository": "autoland"}},
    )
    assert make_client().get_jobs("autoland", push_id=12, count=5) == jobs
    assert len(mocked.calls) == 1


def add_paged_jobs(mocked: responses.RequestsMock, total: int) -> None:
    """Serve ``total`` jobs from the project jobs endpoint honouring offset and count, like the server."""

    def serve(request):
        query = parse_qs(urlsplit(request.url).query)
        offset = int(query.get("offset", ["0"])[0])
        count = int(query.get("count", ["10"])[0])
        assert 0 < count <= 2000, f"client asked for count={count}"
        rows = [{"id": n} for n in range(offset, min(offset + count, total))]
        return 200, {}, json.dumps({"results": rows, "meta": {"offset": offset, "count": count}})

    mocked.add_callback(responses.GET, f"{SERVER}/api/project/autoland/jobs/", callback=serve)


def test_get_jobs_pages_through_counts_above_max(mocked):
    add_paged_jobs(mocked, total=10_000)
    jobs = make_client().get_jobs("autoland", count=4500)
    assert [job["id"] for job in jobs] == list(range(4500))
    assert [(query_of(c)["offset"], query_of(c)["count"]) for c in mocked.calls] == [
        (["0"], ["2000"]),
        (["2000"], ["2000"]),
        (["4000"], ["500"]),
    ]


def test_get_jobs_count_none_fetches_until_short_page(mocked):
    add_paged_jobs(mocked, total=4100)
    jobs = make_client().get_jobs("autoland", count=None, result="success")
    assert [job["id"] for job in jobs] == list(range(4100))
    assert len(mocked.calls) == 3
    assert all(query_of(c)["result"] == ["success"] for c in mocked.calls)


def test_get_jobs_paging_stops_without_asking_for_zero_rows(mocked):
    # Upstream's client asked for count=0 when the total was a multiple of 2000; that request is pointless.
    add_paged_jobs(mocked, total=10_000)
    jobs = make_client().get_jobs("autoland", count=4000)
    assert len(jobs) == 4000
    assert len(mocked.calls) == 2


def test_get_jobs_paging_starts_at_given_offset(mocked):
    add_paged_jobs(mocked, total=10_000)
    jobs = make_client().get_jobs("autoland", count=2500, offset=100)
    assert jobs[0]["id"] == 100 and jobs[-1]["id"] == 2599


def test_get_jobs_count_none_stops_when_data_ends_on_page_boundary(mocked):
    add_paged_jobs(mocked, total=2000)
    assert len(make_client().get_jobs("autoland", count=None)) == 2000
    assert [query_of(c)["offset"] for c in mocked.calls] == [["0"], ["2000"]]


def test_paging_stops_with_an_error_when_the_server_ignores_offset(mocked):
    mocked.get(f"{SERVER}/api/project/autoland/jobs/", json={"results": [{"id": n} for n in range(2000)]})
    with pytest.raises(TreeherderClientError, match="ignored offset=2000"):
        make_client().get_jobs("autoland", count=None)
    assert len(mocked.calls) == 2


def test_get_job_details_follows_cursor_pages(mocked):
    next_url = f"{SERVER}/api/jobdetail/?cursor=abc&job_guid=g1"
    mocked.get(
        f"{SERVER}/api/jobdetail/",
        match=[matchers.query_param_matcher({"cursor": "abc", "job_guid": "g1"})],
        json={"next": None, "previous": None, "results": [{"job_guid": "g1", "title": "b", "value": "2"}]},
    )
    mocked.get(
        f"{SERVER}/api/jobdetail/",
        match=[matchers.query_param_matcher({"job_guid": "g1"})],
        json={"next": next_url, "previous": None, "results": [{"job_guid": "g1", "title": "a", "value": "1"}]},
    )
    details = make_client().get_job_details(job_guid="g1")
    assert [detail["title"] for detail in details] == ["a", "b"]


def test_get_job_log_url_repeats_job_id_and_returns_raw_list(mocked):
    logs = [{"id": 9, "job_id": 5001, "name": "live_backing_log", "url": "https://x/log", "parse_status": "parsed"}]
    mocked.get(f"{SERVER}/api/project/autoland/job-log-url/", json=logs)
    assert make_client().get_job_log_url("autoland", job_id=[5001, 5002]) == logs
    assert query_of(mocked.calls[0])["job_id"] == ["5001", "5002"]


# Errors.


def test_http_error_is_logged_with_status_url_and_detail_then_raised(mocked, caplog):
    mocked.get(f"{SERVER}/api/project/nope/push/", status=404, json={"detail": "No project with name nope"})
    with caplog.at_level(logging.ERROR, logger="thclient"), pytest.raises(TreeherderHTTPError) as raised:
        make_client().get_pushes("nope")
    assert isinstance(raised.value, requests.exceptions.HTTPError)
    assert raised.value.response.status_code == 404
    assert raised.value.detail == "No project with name nope"
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    message = record.getMessage()
    assert "404" in message and f"{SERVER}/api/project/nope/push/" in message and "No project with name nope" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"json": "No job with id: 7"}, "No job with id: 7"),
        ({"json": {"message": "Valid job_id required"}}, "Valid job_id required"),
        ({"json": ["Need to specify either signature_id, signatures, push_id, or job_id"]},
         "Need to specify either signature_id, signatures, push_id, or job_id"),
        ({"body": "<h1>403 Forbidden</h1>", "content_type": "text/html"}, "<h1>403 Forbidden</h1>"),
    ],
)
def test_error_detail_understands_every_error_body_style(mocked, body, expected):
    mocked.get(f"{SERVER}/api/repository/", status=400, **body)
    with pytest.raises(TreeherderHTTPError) as raised:
        make_client().get_repositories()
    assert raised.value.detail == expected


# Retries and deadline.


def test_get_is_retried_on_gateway_errors_then_succeeds(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=503)
    mocked.get(f"{SERVER}/api/repository/", status=502)
    mocked.get(f"{SERVER}/api/repository/", json=[{"id": 1}])
    assert make_client().get_repositories() == [{"id": 1}]
    assert len(mocked.calls) == 3


def test_get_is_retried_after_connection_error(mocked):
    mocked.get(f"{SERVER}/api/repository/", body=requests.exceptions.ConnectionError("refused"))
    mocked.get(f"{SERVER}/api/repository/", json=[{"id": 1}])
    assert make_client().get_repositories() == [{"id": 1}]
    assert len(mocked.calls) == 2


def test_get_gives_up_after_configured_retries(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=504)
    with pytest.raises(TreeherderHTTPError) as raised:
        make_client(retries=2).get_repositories()
    assert raised.value.response.status_code == 504
    assert len(mocked.calls) == 3


def test_connection_error_is_raised_when_retries_are_exhausted(mocked):
    mocked.get(f"{SERVER}/api/repository/", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(requests.exceptions.ConnectionError):
        make_client(retries=1).get_repositories()
    assert len(mocked.calls) == 2


def test_server_error_500_is_not_retried(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=500, json={"detail": "boom"})
    with pytest.raises(TreeherderHTTPError):
        make_client().get_repositories()
    assert len(mocked.calls) == 1


def test_retry_waits_for_retry_after(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=503, headers={"Retry-After": "1"})
    mocked.get(f"{SERVER}/api/repository/", json=[])
    started = time.monotonic()
    make_client().get_repositories()
    assert time.monotonic() - started >= 1.0


def test_deadline_prevents_a_retry_that_would_overrun_it(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=503, headers={"Retry-After": "5"})
    started = time.monotonic()
    with pytest.raises(TreeherderHTTPError):
        make_client(deadline=1.0).get_repositories()
    assert time.monotonic() - started < 1.0
    assert len(mocked.calls) == 1


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET after two seconds, to exercise client-side time limits against a real socket."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        time.sleep(2)
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_deadline_bounds_total_time_of_a_slow_request(slow_server):
    client = TreeherderClient(server_url=slow_server, timeout=10, deadline=0.5, backoff=0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        client.get_repositories()
    assert time.monotonic() - started < 1.5


def test_timeout_applies_to_each_attempt_and_timeouts_are_retried(slow_server):
    client = TreeherderClient(server_url=slow_server, timeout=0.3, retries=1, backoff=0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        client.get_repositories()
    elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 1.8


# Hawk.


def test_hawk_signs_gets_when_credentials_given(mocked):
    mocked.get(f"{SERVER}/api/project/autoland/push/", json={"results": []})
    make_client(client_id=HAWK_ID, secret=HAWK_SECRET).get_pushes("autoland", count=3)
    request = mocked.calls[0].request
    assert request.headers["Authorization"].startswith("Hawk ")
    verify_hawk(request)


def test_hawk_needs_both_client_id_and_secret(mocked):
    mocked.get(f"{SERVER}/api/repository/", json=[])
    make_client(client_id=HAWK_ID).get_repositories()
    assert "Authorization" not in mocked.calls[0].request.headers


def test_each_retry_is_signed_afresh(mocked):
    mocked.get(f"{SERVER}/api/repository/", status=503)
    mocked.get(f"{SERVER}/api/repository/", json=[])
    make_client(client_id=HAWK_ID, secret=HAWK_SECRET).get_repositories()
    headers = [call.request.headers["Authorization"] for call in mocked.calls]
    assert len(headers) == 2 and headers[0] != headers[1]
    for call in mocked.calls:
        verify_hawk(call.request)


def test_wrong_secret_fails_server_side_verification(mocked):
    import mohawk.exc

    mocked.get(f"{SERVER}/api/repository/", json=[])
    make_client(client_id=HAWK_ID, secret="not-the-secret").get_repositories()
    with pytest.raises(mohawk.exc.MacMismatch):
        verify_hawk(mocked.calls[0].request)


def test_client_is_a_context_manager(mocked):
    mocked.get(f"{SERVER}/api/repository/", json=[])
    with make_client() as client:
        assert client.get_repositories() == []
