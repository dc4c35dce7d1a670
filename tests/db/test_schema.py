"""The migration history builds the schema the code describes, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from treeherder.bugs.search import SEARCH_INDEX_OBJECTS
from treeherder.db import schema
from treeherder.db import tables as t


def _normalised_schema(db) -> dict:
    """Tables, columns (name, nullable, generic type), unique keys and indexes, independent of the dialect."""
    insp = inspect(db.read_engine)
    out = {}
    for name in sorted(insp.get_table_names()):
        if name == "alembic_version" or name in SEARCH_INDEX_OBJECTS:
            continue
        columns = {}
        for col in insp.get_columns(name):
            type_name = type(col["type"]).__name__.upper()
            # The dialects name the same generic types differently (e.g. VARCHAR vs String, BIGINT vs INTEGER
            # for SQLite's rowid ids); compare the family.
            family = next(
                (f for f in ("INT", "CHAR", "TEXT", "BOOL", "FLOAT", "REAL", "DOUBLE", "DATE", "TIME") if f in type_name),
                type_name,
            )
            family = {"REAL": "FLOAT", "DOUBLE": "FLOAT", "TIME": "DATE"}.get(family, family)
            columns[col["name"]] = (family, col["nullable"])
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(name))
        # PostgreSQL also lists the indexes behind unique constraints; compare the plain indexes only.
        indexes = sorted(
            (tuple(i["column_names"]), False)
            for i in insp.get_indexes(name)
            if not i["unique"] and i["name"] not in SEARCH_INDEX_OBJECTS
        )
        # The job's foreign keys exist on SQLite only, by design (tables.py).
        fks = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in insp.get_foreign_keys(name)
            if fk["name"] not in t.SQLITE_ONLY_FOREIGN_KEYS
        )
        out[name] = {"columns": columns, "uniques": uniques, "indexes": indexes, "fks": fks}
    return out


def test_migrations_match_the_table_definitions(database):
    with database.read_engine.connect() as conn:
        opts = {"compare_type": False, "include_object": schema.include_in_comparison(database.dialect)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), t.metadata)
    assert diff == []


def test_every_table_is_created(database):
    assert set(_normalised_schema(database)) == {table.name for table in t.metadata.sorted_tables}


_SNAPSHOTS: dict[str, dict] = {}


def test_sqlite_and_postgresql_schemas_are_equivalent(database):
    """Runs per backend; the second backend's run compares with the first's snapshot."""
    snapshot = _normalised_schema(database)
    _SNAPSHOTS[database.dialect] = snapshot
    others = [s for dialect, s in _SNAPSHOTS.items() if dialect != database.dialect]
    for other in others:
        for table in snapshot:
            assert snapshot[table]["columns"] == other[table]["columns"], table
            assert snapshot[table]["uniques"] == other[table]["uniques"], table
            assert snapshot[table]["fks"] == other[table]["fks"], table
            assert [i for i, _ in snapshot[table]["indexes"]] == [i for i, _ in other[table]["indexes"]], table


def test_init_is_idempotent(database):
    def counts():
        with database.read() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar()
                for table in (t.repository, t.repository_group, t.failure_classification, t.performance_framework)
            }

    before = counts()
    schema.init(database)
    schema.init(database)
    assert counts() == before
    assert before["repository"] == 147
    assert before["failure_classification"] == 8
    assert before["performance_framework"] == 13
    assert schema.current_revision(database) == schema.head_revision()


def test_reference_data_keeps_edited_rows(database):
    with database.write() as conn:
        conn.execute(t.repository.update().where(t.repository.c.name == "try").values(description="edited"))
    schema.load_reference_data(database)
    with database.read() as conn:
        description = conn.execute(select(t.repository.c.description).where(t.repository.c.name == "try")).scalar()
    assert description == "edited"


def test_new_rows_get_ids_after_the_shipped_ones(database):
    with database.write() as conn:
        new_id = conn.execute(
            t.repository_group.insert().values(name="new-group", description="").returning(t.repository_group.c.id)
        ).scalar()
    assert new_id > 13
