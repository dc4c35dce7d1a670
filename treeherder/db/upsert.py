"""INSERT ... ON CONFLICT, spelled for whichever database the connection talks to."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table):
    """The dialect's own insert construct (it has ``on_conflict_do_nothing`` / ``on_conflict_do_update``)."""
    return dialect_insert_for(conn.dialect.name, table)


def dialect_insert_for(dialect: str, table: Table):
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, conflict_columns: Sequence[str]):
    """An insert that silently keeps the existing row when the natural key is already present.

    The statement is built once per (dialect, table, key): building one costs more than executing a small batch.
    """
    return _insert_ignore(conn.dialect.name, table, tuple(conflict_columns))


@lru_cache(maxsize=256)
def _insert_ignore(dialect: str, table: Table, conflict_columns: tuple[str, ...]):
    return dialect_insert_for(dialect, table).on_conflict_do_nothing(index_elements=list(conflict_columns))
