"""Server bugs the fuzzer found, each pinned by a direct test."""

from __future__ import annotations

import pytest

HUGE_ID = 784535478446654226432  # beyond 64 bits: SQLite cannot even compare it


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/performance/alertsummary/{id}/", {"detail": "No PerformanceAlertSummary matches the given query."}),
        ("/api/performance/alert/{id}/", {"detail": "No PerformanceAlert matches the given query."}),
        ("/api/project/mozilla-central/jobs/{id}/log/", f"No job with id: {HUGE_ID}"),
    ],
)
def test_ids_beyond_64_bits_are_not_found(client, path, body):
    response = client.get(path.format(id=HUGE_ID))
    assert response.status_code == 404
    assert response.json() == body


def test_json_endpoints_document_a_json_body_not_a_string(client):
    """ORJSONResponse once subclassed a plain Response, so the schema said every 200 body was a string."""
    paths = client.get("/api/openapi.json", params={"format": "json"}).json()["paths"]
    for path in ("/__lbheartbeat__", "/api/jobs/", "/api/performance/tag/"):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"].get("schema", {})
        assert schema.get("type") != "string", path


@pytest.fixture
def server_without_database(tmp_path):
    """A server whose PostgreSQL does not answer (nothing listens on its port): as during a database restart."""
    import dataclasses

    from tests.conftest import LiveServer, free_port, make_app
    from treeherder.config import load_settings
    from treeherder.db.engine import Database

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone?connect_timeout=2"
    settings = dataclasses.replace(load_settings(), database_url=url, data_dir=tmp_path)
    server = LiveServer(make_app(settings, Database(url))).start()
    try:
        yield server
    finally:
        server.stop()


def test_an_unavailable_database_is_503_with_retry_after_not_500(server_without_database):
    with server_without_database.client() as http:
        read = http.get("/api/repository/")
        signed_write = http.post(
            "/api/project/mozilla-central/jobs/",
            content=b"[]",
            headers={
                "Content-Type": "application/json",
                "Authorization": 'Hawk id="ci-bot", ts="1700000000", nonce="abc", mac="bWFj"',
            },
        )
    for response in (read, signed_write):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert response.json() == {"detail": "The database is unavailable right now; nothing was stored. Retry later."}


def test_a_full_disk_is_507_and_anything_else_503():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from treeherder.api.errors import database_failure

    full = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database or disk is full"))
    locked = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
    assert database_failure(full).status_code == 507
    assert database_failure(locked).status_code == 503
