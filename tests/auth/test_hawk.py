"""Hawk authentication through a real server: every failure is a 403 with upstream's body and stores nothing."""

from __future__ import annotations

import dataclasses

import pytest

from tests import factories
from tests.auth.hawk_client import issue, now, send
from tests.auth.stored import job_count
from tests.conftest import LiveServer, make_app
from treeherder.auth.credentials import authorize_credential, revoke_credential
from treeherder.auth.hawk import EXPIRED, FAILED, MALFORMED

REPO = "mozilla-central"
JOBS = f"/api/project/{REPO}/jobs/"


@pytest.fixture
def credential(database):
    return issue(database)


def test_signed_job_post_is_stored_and_the_response_is_signed(client, database, credential, push_revision):
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision, guid="hawk-ok")])
    assert signed.response.status_code == 200, signed.response.text
    assert signed.response.json() == {"message": "Job successfully updated"}
    assert signed.server_signature_is_valid()
    assert job_count(database) == 1


def test_wrong_secret_is_refused(client, database, credential, push_revision):
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision)], secret="not-the-secret")
    assert signed.response.status_code == 403
    assert signed.response.json() == {"detail": FAILED}
    assert "Server-Authorization" not in signed.response.headers
    assert job_count(database) == 0


def test_unknown_client_id_is_refused(client, database, credential, push_revision):
    stranger = dataclasses.replace(credential, client_id="nobody")
    signed = send(client, stranger, "POST", JOBS, [factories.job(push_revision)])
    assert signed.response.status_code == 403
    assert signed.response.json() == {"detail": "No authorised credentials found with id nobody"}
    assert job_count(database) == 0


def test_unauthorized_credential_is_refused_until_authorized(client, database, push_revision):
    waiting = issue(database, "waiting", authorized=False)
    signed = send(client, waiting, "POST", JOBS, [factories.job(push_revision)])
    assert signed.response.status_code == 403
    assert signed.response.json() == {"detail": "No authorised credentials found with id waiting"}
    assert job_count(database) == 0
    authorize_credential(database, "waiting")
    assert send(client, waiting, "POST", JOBS, [factories.job(push_revision)]).response.status_code == 200


def test_revoked_credential_is_refused(client, database, credential, push_revision):
    assert send(client, credential, "POST", JOBS, [factories.job(push_revision)]).response.status_code == 200
    revoke_credential(database, credential.client_id)
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision, guid="after-revoke")])
    assert signed.response.status_code == 403
    assert signed.response.json() == {"detail": f"No authorised credentials found with id {credential.client_id}"}
    assert job_count(database) == 1


def test_replayed_request_is_refused(client, database, credential, push_revision):
    first = send(client, credential, "POST", JOBS, [factories.job(push_revision, guid="once")])
    assert first.response.status_code == 200
    replay = client.post(JOBS, content=first.response.request.content, headers=dict(first.response.request.headers))
    assert replay.status_code == 403
    assert replay.json() == {"detail": FAILED}


def test_replay_to_another_server_process_is_refused(settings, database, credential, push_revision):
    """Two API processes on one database share the nonce cache (the client signed the public SITE_URL)."""
    public = dataclasses.replace(settings, site_url="https://treeherder.example.org")
    first, second = LiveServer(make_app(public, database)).start(), LiveServer(make_app(public, database)).start()
    try:
        with first.client() as to_first, second.client() as to_second:
            url = f"https://treeherder.example.org{JOBS}"
            signed = send(to_first, credential, "POST", JOBS, [factories.job(push_revision)], signed_url=url)
            assert signed.response.status_code == 200, signed.response.text
            request = signed.response.request
            replay = to_second.post(JOBS, content=request.content, headers=dict(request.headers))
            assert replay.status_code == 403
            assert replay.json() == {"detail": FAILED}
    finally:
        first.stop()
        second.stop()


@pytest.mark.parametrize("offset", [-61, 61])
def test_clock_skew_beyond_60_seconds_is_refused_with_upstreams_message(client, database, credential, push_revision, offset):
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision)], ts=now() + offset)
    assert signed.response.status_code == 403
    assert signed.response.json() == {
        "detail": "Hawk authentication failed: The token has expired. Is your system clock correct?"
    }
    assert signed.response.json()["detail"] == EXPIRED
    assert job_count(database) == 0


def test_clock_skew_within_the_window_is_accepted(client, credential, push_revision):
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision)], ts=now() - 50)
    assert signed.response.status_code == 200, signed.response.text


def test_tampered_body_is_refused(client, database, credential, push_revision):
    signed = send(client, credential, "POST", JOBS, [factories.job(push_revision, guid="a")])
    request = signed.response.request
    tampered = request.content.replace(b'"a"', b'"b"')
    response = client.post(JOBS, content=tampered, headers={**dict(request.headers), "Authorization": signed.sender.request_header})
    assert response.status_code == 403
    assert response.json() == {"detail": FAILED}


@pytest.mark.parametrize(
    "header",
    ['Hawk id="ci-bot"', "Hawk garbage", 'Hawk id="ci-bot", ts="soon", nonce="n", mac="m"', 'Hawk id="x", bogus="1"'],
)
def test_malformed_header_is_refused(client, database, credential, header):
    response = client.post(JOBS, json=[], headers={"Authorization": header})
    assert response.status_code == 403
    assert response.json() == {"detail": MALFORMED}


def test_anonymous_write_is_refused(client, database, push_revision):
    body = [factories.job(push_revision)]
    for headers in ({}, {"Authorization": "Bearer some-token"}):
        response = client.post(JOBS, json=body, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert client.post(f"/api/project/{REPO}/push/", json=[factories.push()]).status_code == 403
    assert job_count(database) == 0


def test_reads_stay_open_and_a_signed_read_is_verified(client, database, credential):
    assert client.get("/api/repository/").status_code == 200
    good = send(client, credential, "GET", "/api/repository/", content_type="")
    assert good.response.status_code == 200
    assert good.server_signature_is_valid()
    bad = send(client, credential, "GET", "/api/repository/", content_type="", secret="wrong")
    assert bad.response.status_code == 403
    assert bad.response.json() == {"detail": FAILED}


def test_signature_for_the_public_url_behind_a_proxy(client, database, credential, push_revision):
    """A proxy forwards https://treeherder.example.org to us with X-Forwarded-Host/-Proto."""
    signed = send(
        client, credential, "POST", JOBS, [factories.job(push_revision)],
        signed_url=f"https://treeherder.example.org{JOBS}",
        headers={"X-Forwarded-Host": "treeherder.example.org", "X-Forwarded-Proto": "https"},
    )
    assert signed.response.status_code == 200, signed.response.text


def test_signature_for_site_url_when_the_proxy_rewrites_host(settings, database, credential, push_revision):
    public = dataclasses.replace(settings, site_url="https://th.example.org:8443")
    server = LiveServer(make_app(public, database)).start()
    try:
        with server.client() as http:
            good = send(http, credential, "POST", JOBS, [factories.job(push_revision)],
                        signed_url=f"https://th.example.org:8443{JOBS}")
            assert good.response.status_code == 200, good.response.text
            elsewhere = send(http, credential, "POST", JOBS, [factories.job(push_revision)],
                             signed_url=f"https://elsewhere.example.org{JOBS}")
            assert elsewhere.response.status_code == 403
    finally:
        server.stop()


def test_expired_nonces_are_purged(client, database, credential):
    from sqlalchemy import select

    from treeherder.db import tables as t

    with database.write() as conn:
        conn.execute(t.hawk_nonce.insert().values(client_id="old", nonce="n", ts=1, expires_at=66))
    assert send(client, credential, "GET", "/api/repository/", content_type="").response.status_code == 200
    with database.read() as conn:
        kept = conn.execute(select(t.hawk_nonce.c.client_id)).scalars().all()
    assert kept == [credential.client_id]


def test_forwarded_port_is_part_of_the_signed_url(client, credential, push_revision):
    signed = send(
        client, credential, "POST", JOBS, [factories.job(push_revision)],
        signed_url=f"https://treeherder.example.org:8443{JOBS}",
        headers={"X-Forwarded-Host": "treeherder.example.org", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "8443"},
    )
    assert signed.response.status_code == 200, signed.response.text


def test_secrets_never_reach_the_logs(client, database, credential, push_revision, caplog):
    caplog.set_level("DEBUG")
    assert send(client, credential, "POST", JOBS, [factories.job(push_revision)]).response.status_code == 200
    assert send(client, credential, "POST", JOBS, [], secret="wrong-secret").response.status_code == 403
    assert caplog.records, "expected the request to be logged at DEBUG"
    assert not [r for r in caplog.records if credential.secret in r.getMessage()]
