"""Indexed substring search over bug summaries (bug suggestions).

SQLite: an FTS5 table with the trigram tokenizer over ``bugscache.summary`` (external content, kept in sync by
triggers), so a case-insensitive substring test is an index lookup. PostgreSQL: the pg_trgm extension with a GIN
trigram index on ``lower(summary)``, which serves ``lower(summary) LIKE '%term%'`` and ranks with ``similarity()``.

Neither object is described in tables.py: they are dialect-specific and not plain tables (see
treeherder.bugs.search.SEARCH_INDEX_OBJECTS, which the schema comparisons leave out).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE bugscache_fts USING fts5("
    "summary, content='bugscache', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER bugscache_fts_insert AFTER INSERT ON bugscache BEGIN "
    "INSERT INTO bugscache_fts(rowid, summary) VALUES (new.id, new.summary); END",
    "CREATE TRIGGER bugscache_fts_delete AFTER DELETE ON bugscache BEGIN "
    "INSERT INTO bugscache_fts(bugscache_fts, rowid, summary) VALUES ('delete', old.id, old.summary); END",
    # Only a changed summary touches the index: the importer rewrites status/keywords far more often.
    "CREATE TRIGGER bugscache_fts_update AFTER UPDATE OF summary ON bugscache "
    "WHEN old.summary IS NOT new.summary BEGIN "
    "INSERT INTO bugscache_fts(bugscache_fts, rowid, summary) VALUES ('delete', old.id, old.summary); "
    "INSERT INTO bugscache_fts(rowid, summary) VALUES (new.id, new.summary); END",
    "INSERT INTO bugscache_fts(bugscache_fts) VALUES ('rebuild')",
)
_SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS bugscache_fts_update",
    "DROP TRIGGER IF EXISTS bugscache_fts_delete",
    "DROP TRIGGER IF EXISTS bugscache_fts_insert",
    "DROP TABLE IF EXISTS bugscache_fts",
)
_POSTGRESQL_UPGRADE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_bugscache_summary_trgm ON bugscache USING gin (lower(summary) gin_trgm_ops)",
)
_POSTGRESQL_DOWNGRADE = ("DROP INDEX IF EXISTS ix_bugscache_summary_trgm",)


def _run(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_UPGRADE)
    elif dialect == "postgresql":
        _run(_POSTGRESQL_UPGRADE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_DOWNGRADE)
    elif dialect == "postgresql":
        _run(_POSTGRESQL_DOWNGRADE)
