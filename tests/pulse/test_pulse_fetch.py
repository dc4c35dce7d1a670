"""The HTTP fetcher against a local server standing in for Taskcluster and GitHub."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from treeherder.pulse.fetch import HttpFetcher

TASK = {"created": "2019-06-26T19:13:51.402Z", "routes": ["tc-treeherder.v2.try.abc.1"]}
ARTIFACT_PAGES = {
    None: {"artifacts": [{"name": "public/logs/live_backing.log"}], "continuationToken": "page2"},
    "page2": {"artifacts": [{"name": "public/test_info/a_errorsummary.log"}]},
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # the name http.server dispatches to
        self.server.requests.append((self.path, self.headers.get("Authorization")))
        url = urlsplit(self.path)
        if url.path == "/api/queue/v1/task/abcTASK":
            body = TASK
        elif url.path == "/api/queue/v1/task/abcTASK/runs/2/artifacts":
            token = parse_qs(url.query).get("continuationToken", [None])[0]
            body = ARTIFACT_PAGES[token]
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def root_url(server):
    server.requests.clear()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def test_fetch_task(server, root_url):
    with HttpFetcher(github_token="secret") as fetcher:
        assert fetcher.fetch_task(root_url, "abcTASK") == TASK
    # the token is for GitHub only
    assert server.requests == [("/api/queue/v1/task/abcTASK", None)]


def test_fetch_artifacts_follows_continuation_tokens(server, root_url):
    with HttpFetcher() as fetcher:
        artifacts = fetcher.fetch_artifacts(root_url, "abcTASK", 2)
    assert [artifact["name"] for artifact in artifacts] == [
        "public/logs/live_backing.log",
        "public/test_info/a_errorsummary.log",
    ]
    assert [path for path, _ in server.requests] == [
        "/api/queue/v1/task/abcTASK/runs/2/artifacts",
        "/api/queue/v1/task/abcTASK/runs/2/artifacts?continuationToken=page2",
    ]


def test_http_errors_raise(root_url):
    with HttpFetcher() as fetcher, pytest.raises(httpx.HTTPStatusError):
        fetcher.fetch_task(root_url, "missing")


def test_github_token_is_sent_to_github_only():
    seen = []

    def handler(request):
        seen.append((str(request.url), request.headers.get("Authorization")))
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(handler)
    with HttpFetcher(github_token="secret", transport=transport) as fetcher:
        assert fetcher.fetch_json("https://api.github.com/repos/a/b/pulls/1/commits") == {"ok": True}
        fetcher.fetch_json("https://hg.mozilla.org/try/json-pushes")
    assert seen == [
        ("https://api.github.com/repos/a/b/pulls/1/commits", "token secret"),
        ("https://hg.mozilla.org/try/json-pushes", None),
    ]
