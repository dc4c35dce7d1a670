"""Reference data endpoints and the conventions every endpoint follows, over real HTTP."""

from __future__ import annotations


def test_repository_list_has_upstream_fields(client):
    response = client.get("/api/repository/")
    assert response.status_code == 200
    repos = response.json()
    assert len(repos) == 50  # the active ones of the 147 shipped
    central = next(r for r in repos if r["name"] == "mozilla-central")
    assert central == {
        "id": 1,
        "repository_group": {
            "name": "development",
            "description": "Collection of repositories where code initially lands in the development process",
        },
        "name": "mozilla-central",
        "dvcs_type": "hg",
        "url": "https://hg.mozilla.org/mozilla-central",
        "codebase": "gecko",
        "description": "",
        "active_status": "active",
        "life_cycle_order": 10,
        "performance_alerts_enabled": False,
        "expire_performance_data": False,
        "is_try_repo": False,
        "tc_root_url": "https://firefox-ci-tc.services.mozilla.com",
        "accepts_pull_requests": False,
    }
    assert all(r["active_status"] == "active" for r in repos)
    assert [r["id"] for r in repos] == sorted(r["id"] for r in repos)


def test_repository_detail_and_missing(client):
    assert client.get("/api/repository/4/").json()["name"] == "try"
    missing = client.get("/api/repository/2/")  # mozilla-inbound is on hold: not served
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No Repository matches the given query."}
    bad = client.get("/api/repository/abc/")
    assert bad.status_code == 400
    assert "repository_id" in bad.json()["detail"]


def test_format_json_is_accepted(client):
    assert client.get("/api/repository/", params={"format": "json"}).status_code == 200


def test_slashless_get_redirects(client):
    response = client.get("/api/repository", follow_redirects=False)
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"].endswith("/api/repository/")


def test_generic_user_agents_are_refused(live_server):
    import httpx

    for agent in ("python-requests/2.31.0", "Python-urllib/3.11", "libcurl/8.0", "Go-http-client/1.1"):
        response = httpx.get(f"{live_server.url}/api/repository/", headers={"User-Agent": agent})
        assert response.status_code == 403, agent
        assert response.headers["content-type"].startswith("text/html")
        assert "<title>403 Forbidden</title>" in response.text
        assert "User-Agent" in response.text
    for agent in ("curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "treeherder-pyclient/5.0.0"):
        assert httpx.get(f"{live_server.url}/api/repository/", headers={"User-Agent": agent}).status_code == 200


def test_no_user_agent_is_allowed(live_server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", live_server.port)
    conn.putrequest("GET", "/api/repository/", skip_accept_encoding=True)
    conn.endheaders()
    assert conn.getresponse().status == 200


def test_api_versions(client):
    for accept in ("application/json; version=1.0", "application/json; version=1.1", "application/json", "*/*"):
        assert client.get("/api/repository/", headers={"Accept": accept}).status_code == 200, accept
    response = client.get("/api/repository/", headers={"Accept": "application/json; version=2.0"})
    assert response.status_code == 406
    assert response.json() == {"detail": 'Invalid version in "Accept" header.'}


def test_cors_is_open_for_reads(client):
    response = client.get("/api/repository/", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_health_endpoints(client):
    assert client.get("/__lbheartbeat__").json() == {"status": "ok"}
    heartbeat = client.get("/__heartbeat__")
    assert heartbeat.status_code == 200
    assert heartbeat.json()["database"] == "ok"
    version = client.get("/__version__").json()
    assert version["name"] == "treeherder" and version["version"]


def test_sample_logs_are_served(client):
    response = client.get("/sample-logs/mochitest-fail.log.gz")
    assert response.status_code == 200
    assert response.content[:2] == b"\x1f\x8b"


def test_head_is_answered_like_get_without_a_body(client, fixture_pushes):
    for url in ("/api/repository/", "/api/project/mozilla-central/push/", "/api/jobs/"):
        got, head = client.get(url), client.head(url)
        assert head.status_code == 200, url
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head("/api/project/nope/push/").status_code == 404
    paths = client.get("/api/schema/", params={"format": "json"}).json()["paths"]
    assert not any("head" in operations for operations in paths.values())  # HEAD stays out of the schema
