"""Alembic environment: runs the migrations on the connection handed over by treeherder.db.schema."""

from alembic import context

from treeherder.db.schema import include_in_comparison
from treeherder.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables so one history serves both databases.
    render_as_batch=True,
    compare_type=True,
    include_object=include_in_comparison(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
