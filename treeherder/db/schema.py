"""Creating and upgrading the schema, and loading the reference data shipped with the package."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import OperationalError

from treeherder.bugs.search import SEARCH_INDEX_OBJECTS
from treeherder.db import tables as t
from treeherder.db.engine import Database, DatabaseUnavailable
from treeherder.db.upsert import insert_ignore

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def include_in_comparison(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for comparing the tables with a database of `dialect` (autogenerate, and the
    test that the migrations build the tables): objects that exist on one dialect only are left out."""

    def include(_obj, name, type_, _reflected, _compare_to) -> bool:
        if name in SEARCH_INDEX_OBJECTS:  # FTS5 tables on SQLite, a trigram index on PostgreSQL (migration 0003)
            return False
        return not (type_ == "foreign_key_constraint" and dialect != "sqlite" and name in t.SQLITE_ONLY_FOREIGN_KEYS)

    return include


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.read_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> bool:
    """Bring the schema to the newest revision. Returns True if anything was migrated."""
    try:
        before = current_revision(db)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot open the database at {db.safe_url}: {exc.orig}") from None
    if before == head_revision():
        return False
    with db.write() as conn:
        command.upgrade(alembic_config(conn), "head")
    log.info("schema upgraded from %s to %s", before or "empty", head_revision())
    return True


def _fixture_rows(name: str) -> list[dict]:
    """Rows of a Django-style fixture shipped in treeherder/data/reference (pk becomes id)."""
    raw = resources.files("treeherder.data").joinpath(f"reference/{name}.json").read_text()
    return [{"id": item["pk"], **item["fields"]} for item in json.loads(raw)]


# Upstream's model defaults for the optional fields of a repository fixture.
REPOSITORY_DEFAULTS = {
    "branch": None,
    "codebase": "",
    "description": "",
    "life_cycle_order": None,
    "performance_alerts_enabled": False,
    "expire_performance_data": True,
    "is_try_repo": False,
    "accepts_pull_requests": False,
    "tc_root_url": "https://firefox-ci-tc.services.mozilla.com",
}


def load_reference_data(db: Database) -> None:
    """Insert the shipped repositories, classifications and frameworks, and the reference-data generation row; rows
    that already exist are kept."""
    groups = _fixture_rows("repository_group")
    repos = []
    for row in _fixture_rows("repository"):
        row["repository_group_id"] = row.pop("repository_group")
        repos.append({**REPOSITORY_DEFAULTS, **row})
    branches = [
        {"id": row["id"], "repository_id": row["repository"], "branch": row["branch"]}
        for row in _fixture_rows("repository_branch")
    ]
    with db.write() as conn:
        for table, rows in (
            (t.repository_group, groups),
            (t.repository, repos),
            (t.repository_branch, branches),
            (t.failure_classification, _fixture_rows("failure_classification")),
            (t.performance_framework, _fixture_rows("performance_framework")),
            (t.issue_tracker, _fixture_rows("issue_tracker")),
        ):
            columns = set(table.c.keys())
            for row in rows:
                unknown = set(row) - columns
                if unknown:
                    raise ValueError(f"reference data for {table.name} has unknown fields {sorted(unknown)}")
            conn.execute(insert_ignore(conn, table, ["id"]), rows)
        conn.execute(insert_ignore(conn, t.reference_data_generation, ["id"]), [{"id": 1, "value": 0}])
        if db.dialect == "postgresql":
            # Explicit ids do not advance PostgreSQL sequences; move them past the shipped rows.
            for table in (t.repository_group, t.repository, t.repository_branch, t.failure_classification,
                          t.performance_framework, t.issue_tracker):
                top = conn.execute(select(func.max(table.c.id))).scalar() or 0
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {max(top, 1)})"
                )


def init(db: Database) -> None:
    """Create or upgrade the schema and load the reference data (idempotent)."""
    db.check()
    upgrade(db)
    load_reference_data(db)
