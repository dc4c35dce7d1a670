"""`treeherder credentials ...` and the credential store behind it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from treeherder.auth.credentials import (
    CredentialError,
    authorize_credential,
    create_credential,
    list_credentials,
    revoke_credential,
    usable_secret,
)
from treeherder.cli import main
from treeherder.config import get_settings


@pytest.fixture
def cli(database, monkeypatch):
    """Runs `treeherder ...` in-process against the test database."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def test_create_prints_a_fresh_secret_once(cli, database):
    first = cli("credentials", "create", "ci-bot", "--description", "the CI")
    assert first.exit_code == 0, first.output
    issued = json.loads(first.output)
    assert issued["client_id"] == "ci-bot" and len(issued["secret"]) >= 40
    assert usable_secret(database, "ci-bot") == issued["secret"]
    second = json.loads(cli("credentials", "create", "ci-bot-2").output)
    assert second["secret"] != issued["secret"]
    listing = cli("credentials", "list").output
    assert "ci-bot" in listing and "authorized" in listing and "the CI" in listing
    assert issued["secret"] not in listing and second["secret"] not in listing


def test_unauthorized_then_authorize_then_revoke(cli, database):
    assert cli("credentials", "create", "later", "--unauthorized").exit_code == 0
    assert usable_secret(database, "later") is None
    assert "unauthorized" in cli("credentials", "list").output
    assert cli("credentials", "authorize", "later").exit_code == 0
    assert usable_secret(database, "later") is not None
    assert cli("credentials", "revoke", "later").exit_code == 0
    assert usable_secret(database, "later") is None
    assert "revoked" in cli("credentials", "list").output
    again = cli("credentials", "authorize", "later")
    assert again.exit_code == 1
    assert "was revoked and cannot be authorised again" in again.output


@pytest.mark.parametrize("client_id", ["has space", "x" * 33, "", "slash/id", "ünïcode"])
def test_client_ids_are_slugs_of_at_most_32_characters(cli, client_id):
    result = cli("credentials", "create", client_id)
    assert result.exit_code == 1
    assert "invalid client id" in result.output


def test_duplicates_and_unknown_ids_are_clear_errors(cli):
    assert cli("credentials", "create", "dup").exit_code == 0
    duplicate = cli("credentials", "create", "dup")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    unknown = cli("credentials", "revoke", "ghost")
    assert unknown.exit_code == 1 and "no credential with client id 'ghost'" in unknown.output


def test_store_functions(database):
    assert list_credentials(database) == []
    create_credential(database, "a" * 32, description="max length")
    create_credential(database, "b", authorized=False)
    listed = {c.client_id: c for c in list_credentials(database)}
    assert listed["a" * 32].usable and not listed["b"].usable
    authorize_credential(database, "b")
    revoke_credential(database, "a" * 32)
    listed = {c.client_id: c for c in list_credentials(database)}
    assert listed["b"].usable and listed["a" * 32].revoked and not listed["a" * 32].usable
    with pytest.raises(CredentialError):
        authorize_credential(database, "a" * 32)
