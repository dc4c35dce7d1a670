"""Which absolute URLs the server checks a Hawk MAC against (the client signs the URL it used)."""

from __future__ import annotations

from treeherder.auth.middleware import signed_url_candidates


def scope(path: str = "/api/project/try/jobs/", query: bytes = b"", raw_path: bytes | None = None) -> dict:
    return {"type": "http", "scheme": "http", "path": path, "raw_path": raw_path or path.encode(),
            "query_string": query, "server": ("127.0.0.1", 8000)}


def test_host_header_with_and_without_port():
    assert signed_url_candidates(scope(), {b"host": b"127.0.0.1:8000"}, "http://127.0.0.1:8000") == [
        "http://127.0.0.1:8000/api/project/try/jobs/"
    ]
    assert signed_url_candidates(scope(), {b"host": b"th.local"}, "http://127.0.0.1:8000") == [
        "http://th.local:80/api/project/try/jobs/",
        "http://127.0.0.1:8000/api/project/try/jobs/",
    ]


def test_forwarded_headers_win_over_host():
    headers = {b"host": b"10.0.0.5:8000", b"x-forwarded-host": b"th.example.org, proxy", b"x-forwarded-proto": b"https"}
    assert signed_url_candidates(scope(), headers, "https://th.example.org")[0] == "https://th.example.org:443/api/project/try/jobs/"
    headers[b"x-forwarded-port"] = b"8443"
    assert signed_url_candidates(scope(), headers, "https://th.example.org")[0] == "https://th.example.org:8443/api/project/try/jobs/"


def test_site_url_with_a_path_prefix():
    urls = signed_url_candidates(scope(), {b"host": b"10.0.0.5:8000"}, "https://example.org/treeherder")
    assert urls[1] == "https://example.org:443/treeherder/api/project/try/jobs/"


def test_raw_path_and_query_string_are_kept_as_sent():
    urls = signed_url_candidates(
        scope("/api/project/a b/jobs/", b"count=2&x=%20", raw_path=b"/api/project/a%20b/jobs/"),
        {b"host": b"h:1"},
        "http://h:1",
    )
    assert urls == ["http://h:1/api/project/a%20b/jobs/?count=2&x=%20"]


def test_without_host_header_the_server_address_is_used():
    assert signed_url_candidates(scope(), {}, "http://127.0.0.1:8000") == ["http://127.0.0.1:8000/api/project/try/jobs/"]
