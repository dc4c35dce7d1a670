"""Settings: every one documented in the README, bad values refused with a clear message."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT
from treeherder.config import SETTINGS, ConfigError, load_settings


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_defaults(monkeypatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/treeherder.db"
    assert settings.broker_url == ""
    assert settings.throttle_jobs == (220, 60)
    assert settings.throttle_push == (400, 60)
    assert settings.hawk_max_skew == 60
    assert "^python-requests/" in settings.disallowed_user_agents


def test_data_dir_moves_the_sqlite_file(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TREEHERDER_DATA_DIR", str(tmp_path))
    assert load_settings().database_url == f"sqlite:///{tmp_path}/treeherder.db"


def test_plain_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with"),
        ("HAWK_MAX_SKEW", "soon", "HAWK_MAX_SKEW must be an integer"),
        ("THROTTLE_JOBS", "lots", "THROTTLE_JOBS must look like '220/minute'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_are_refused(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings()
