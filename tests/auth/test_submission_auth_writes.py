"""Job and push submissions record their Hawk nonce and throttle count in the transaction that stores them.

One write transaction per accepted submission; a replayed or throttled submission stores nothing and still gets
its 403 or 429; a submission the handler refuses (invalid, unknown project) still spends its nonce and counts.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, func, select

from tests import factories
from tests.auth.hawk_client import issue, send
from tests.auth.stored import job_count
from tests.conftest import LiveServer, make_app
from treeherder.auth.hawk import FAILED
from treeherder.db import tables as t

REPO = "mozilla-central"
JOBS = f"/api/project/{REPO}/jobs/"
PUSHES = f"/api/project/{REPO}/push/"


@pytest.fixture
def tight_client(settings, database):
    """A server allowing 2 job and 2 push submissions per credential per day."""
    tight = dataclasses.replace(settings, throttle_jobs=(2, 86400), throttle_push=(2, 86400))
    server = LiveServer(make_app(tight, database)).start()
    with server.client() as http:
        yield http
    server.stop()


def _count(database, table) -> int:
    with database.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _throttle_count(database, key: str) -> int | None:
    with database.read() as conn:
        return conn.execute(select(t.throttle_window.c.count).where(t.throttle_window.c.key == key)).scalar()


class WriteTransactions:
    """Counts the committed transactions of a database that wrote something (on PostgreSQL reads share the engine)."""

    def __init__(self, database) -> None:
        self.engine = database.write_engine
        self.committed = 0

    def _begin(self, conn) -> None:
        conn.info["wrote"] = False

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):
            conn.info["wrote"] = True

    def _commit(self, conn) -> None:
        self.committed += bool(conn.info.get("wrote"))

    def __enter__(self) -> WriteTransactions:
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


def test_an_accepted_submission_is_one_write_transaction(client, database, push_revision):
    bot = issue(database)
    with WriteTransactions(database) as writes:
        signed = send(client, bot, "POST", JOBS, [factories.job(push_revision, guid="one-transaction")])
    assert signed.response.status_code == 200, signed.response.text
    assert signed.server_signature_is_valid()
    assert writes.committed == 1
    assert job_count(database) == 1
    assert _count(database, t.hawk_nonce) == 1
    assert _throttle_count(database, f"{bot.client_id}:jobs") == 1


def test_a_throttled_submission_stores_nothing_and_still_counts(tight_client, database, push_revision):
    bot = issue(database)
    for guid in ("first", "second"):
        accepted = send(tight_client, bot, "POST", JOBS, [factories.job(push_revision, guid=guid)])
        assert accepted.response.status_code == 200
    throttled = send(tight_client, bot, "POST", JOBS, [factories.job(push_revision, guid="third")])
    assert throttled.response.status_code == 429
    assert throttled.response.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert throttled.server_signature_is_valid()
    assert job_count(database) == 2
    # The throttled request's nonce is spent and it counts, as when the writes had their own transaction.
    assert _count(database, t.hawk_nonce) == 3
    assert _throttle_count(database, f"{bot.client_id}:jobs") == 3
    replay = tight_client.post(
        JOBS, content=throttled.response.request.content, headers=dict(throttled.response.request.headers)
    )
    assert replay.status_code == 403


def test_a_throttled_push_submission_stores_nothing(tight_client, database):
    bot = issue(database)
    for _ in range(2):
        assert send(tight_client, bot, "POST", PUSHES, [factories.push()]).response.status_code == 200
    assert send(tight_client, bot, "POST", PUSHES, [factories.push()]).response.status_code == 429
    assert _count(database, t.push) == 2


def test_a_replayed_submission_is_refused_and_stored_once(client, database, push_revision):
    bot = issue(database)
    first = send(client, bot, "POST", PUSHES, [factories.push()])
    assert first.response.status_code == 200
    replay = client.post(PUSHES, content=first.response.request.content, headers=dict(first.response.request.headers))
    assert replay.status_code == 403
    assert replay.json() == {"detail": FAILED}
    assert "Server-Authorization" not in replay.headers
    assert _count(database, t.push) == 2  # push_revision's and the first submission's


def test_a_refused_submission_spends_its_nonce(client, database, push_revision):
    bot = issue(database)
    invalid = send(client, bot, "POST", JOBS, [{"revision": push_revision, "job": {"state": "nonsense"}}])
    assert invalid.response.status_code == 400
    assert invalid.server_signature_is_valid()
    assert _throttle_count(database, f"{bot.client_id}:jobs") == 1
    # Replayed, it is refused as a replay (403), not answered 400 again.
    replay = client.post(JOBS, content=invalid.response.request.content, headers=dict(invalid.response.request.headers))
    assert replay.status_code == 403
    assert replay.json() == {"detail": FAILED}


def test_a_replayed_submission_to_an_unknown_project_is_refused_as_a_replay(client, database):
    bot = issue(database)
    unknown = send(client, bot, "POST", "/api/project/no-such-repo/jobs/", [])
    assert unknown.response.status_code == 404
    replay = client.post(
        "/api/project/no-such-repo/jobs/",
        content=unknown.response.request.content,
        headers=dict(unknown.response.request.headers),
    )
    assert replay.status_code == 403
