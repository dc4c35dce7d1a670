"""Sign-in, sign-out, /api/user/, CSRF refusal, disabled users, the users CLI, owned Hawk credentials."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.sheriff.conftest import PASSWORD, sign_in
from treeherder.auth.users import authenticate, create_user, list_users, set_active


def test_anonymous_user_list_is_empty(client):
    assert client.get("/api/user/").json() == []


def test_sign_in_shows_the_user_and_sign_out_forgets_them(client, sheriff):
    answer = sign_in(client, "sheriff@example.org")
    assert answer.status_code == 200
    expected = {"username": "email/sheriff@example.org", "is_superuser": False, "is_staff": True,
                "email": "sheriff@example.org"}  # fmt: skip
    assert answer.json() == expected
    assert "sessionid" in client.cookies and client.cookies["csrftoken"]
    assert client.get("/api/user/").json() == [expected]
    assert client.get("/api/auth/logout/").json() == "User logged out"
    assert client.get("/api/user/").json() == []


def test_wrong_password_and_unknown_email_get_the_same_refusal(client, sheriff):
    wrong = client.post("/api/auth/login/", json={"email": "sheriff@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/api/auth/login/", json={"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.json() == unknown.json() == {"detail": "Invalid email or password."}
    assert client.get("/api/user/").json() == []


def test_login_needs_a_json_body(client, sheriff):
    answer = client.post("/api/auth/login/", data={"email": "sheriff@example.org", "password": PASSWORD})
    assert answer.status_code == 415


def test_disabling_a_user_ends_their_session_and_their_sign_in(client, sheriff, database):
    sign_in(client, "sheriff@example.org")
    set_active(database, "sheriff@example.org", False)
    assert client.get("/api/user/").json() == []
    assert client.post("/api/auth/login/", json={"email": "sheriff@example.org", "password": PASSWORD}).status_code == 403


def test_session_write_without_csrf_token_is_refused(client, sheriff, failed_jobs):
    sign_in(client, "sheriff@example.org")
    body = {"job_id": failed_jobs[0], "failure_classification_id": 4, "text": ""}
    missing = client.post("/api/project/mozilla-central/note/", json=body, headers={"X-CSRFToken": ""})
    assert missing.status_code == 403
    assert missing.json() == {"detail": "CSRF Failed: CSRF token missing."}
    wrong = client.post("/api/project/mozilla-central/note/", json=body, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403
    assert wrong.json()["detail"].startswith("CSRF Failed:")
    assert client.get("/api/project/mozilla-central/note/", params={"job_id": failed_jobs[0]}).json() == []
    assert client.post("/api/project/mozilla-central/note/", json=body).status_code == 200


def test_tampered_session_cookie_is_anonymous(live_server, sheriff):
    with live_server.client() as http:
        sign_in(http, "sheriff@example.org")
        value = http.cookies["sessionid"]
        http.cookies.clear()
        http.cookies.set("sessionid", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        assert http.get("/api/user/").json() == []


def test_passwords_are_stored_as_argon2_hashes(database):
    create_user(database, "a@example.org", "long enough password")
    from sqlalchemy import select

    from treeherder.db import tables as t

    with database.read() as conn:
        stored = conn.execute(select(t.user.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and "long enough password" not in stored
    assert authenticate(database, "a@example.org", "long enough password").email == "a@example.org"
    assert authenticate(database, "a@example.org", "long enough passwore") is None


def _cli(settings, *args, input=None):
    from treeherder.cli import main

    env = {"DATABASE_URL": settings.database_url, "TREEHERDER_DATA_DIR": str(settings.data_dir)}
    from treeherder.config import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_users_cli_creates_lists_and_disables(settings, database):
    created = _cli(settings, "users", "create", "cli@example.org", "--sheriff")
    assert created.exit_code == 0, created.output
    password = created.output.split("password: ")[1].strip()
    assert authenticate(database, "cli@example.org", password).is_staff
    piped = _cli(settings, "users", "create", "piped@example.org", "--password-stdin", input="from stdin 123\n")
    assert piped.exit_code == 0 and "password:" not in piped.output
    assert authenticate(database, "piped@example.org", "from stdin 123") is not None
    listing = _cli(settings, "users", "list").output
    assert "cli@example.org" in listing and "sheriff" in listing and "piped@example.org" in listing
    assert _cli(settings, "users", "disable", "cli@example.org").exit_code == 0
    assert authenticate(database, "cli@example.org", password) is None
    assert [u.is_active for u in list_users(database) if u.email == "cli@example.org"] == [False]
    duplicate = _cli(settings, "users", "create", "cli@example.org")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output


def test_credentials_create_with_an_owner(settings, database):
    create_user(database, "bot-owner@example.org", None, sheriff=True)
    made = _cli(settings, "credentials", "create", "sheriff-bot", "--owner", "bot-owner@example.org")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["client_id"] == "sheriff-bot"
    unknown = _cli(settings, "credentials", "create", "other-bot", "--owner", "nobody@example.org")
    assert unknown.exit_code == 1 and "no user" in unknown.output
