"""Alembic environment: runs the migrations on the connection handed over by treeherder.db.schema."""

from alembic import context

from treeherder.bugs.search import SEARCH_INDEX_OBJECTS
from treeherder.db.tables import metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave the dialect-specific bug search index (FTS5 tables, trigram index; migration 0003) out of autogenerate."""
    return name not in SEARCH_INDEX_OBJECTS

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables so one history serves both databases.
    render_as_batch=True,
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
