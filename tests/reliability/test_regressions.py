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
