"""INSERT ... ON CONFLICT, spelled for whichever database the connection talks to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table):
    """The dialect's own insert construct (it has ``on_conflict_do_nothing`` / ``on_conflict_do_update``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, conflict_columns: Sequence[str]):
    """An insert that silently keeps the existing row when the natural key is already present."""
    return dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(conflict_columns))
