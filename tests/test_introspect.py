"""The catalog snapshot that check, drift and schema compare: what it sees and what it ignores."""
from __future__ import annotations

import pytest

from migrator.drivers import open_driver
from migrator.introspect import diff, snapshot
from migrator.url import parse

pytestmark = pytest.mark.all_pg_versions  # catalog reads: see tests/pg_servers.py

SCHEMA = {
    "sqlite": """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE);
        CREATE TABLE loans (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            amount INTEGER NOT NULL DEFAULT 0 CONSTRAINT positive CHECK (amount >= 0),
            due TEXT
        );
        CREATE INDEX loans_due_idx ON loans (due) WHERE due IS NOT NULL;
        CREATE VIEW open_loans AS SELECT * FROM loans WHERE amount > 0;
        CREATE TRIGGER loans_guard BEFORE DELETE ON loans BEGIN SELECT RAISE(ABORT, 'no'); END;
        """,
    "postgres": """
        CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
        CREATE TABLE loans (
            id BIGINT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            amount INTEGER NOT NULL DEFAULT 0 CONSTRAINT positive CHECK (amount >= 0),
            due DATE
        );
        CREATE INDEX loans_due_idx ON loans (due) WHERE due IS NOT NULL;
        CREATE VIEW open_loans AS SELECT * FROM loans WHERE amount > 0;
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'no'; END $$;
        CREATE TRIGGER loans_guard BEFORE DELETE ON loans FOR EACH ROW EXECUTE FUNCTION refuse();
        CREATE TYPE mood AS ENUM ('calm', 'busy');
        """,
}


async def _snapshot_after(backend, sql: str):
    db = await open_driver(parse(backend.url), lock_wait=5)
    try:
        await db.run_script(sql)
        return await snapshot(db)
    finally:
        await db.close()


async def test_snapshot_sees_tables_columns_keys_indexes_checks_views_and_triggers(backend):
    schema = await _snapshot_after(backend, SCHEMA[backend.dialect])
    assert [t.name for t in schema.tables] == ["loans", "users"]
    loans = schema.table("loans")
    assert [c.name for c in loans.columns] == ["id", "user_id", "amount", "due"]
    amount = loans.column("amount")
    assert (amount.nullable, amount.default) == (False, "0")
    assert loans.primary_key == ("id",)
    [fk] = loans.foreign_keys
    assert (fk.columns, fk.references) == (("user_id",), "users")
    assert "ON DELETE CASCADE" in fk.definition
    checks = [c for c in loans.constraints if c.kind == "check"]
    assert [c.name for c in checks] == ["positive"]
    assert [i.name for i in loans.indexes if not i.constraint] == ["loans_due_idx"]
    assert [t.name for t in loans.triggers] == ["loans_guard"]
    assert [v.name for v in schema.views] == ["open_loans"]
    assert [c.kind for c in schema.table("users").constraints] == (
        ["primary key", "unique"] if backend.dialect == "sqlite" else ["unique", "primary key"])
    if backend.dialect == "postgres":
        assert [r.name for r in schema.routines] == ["refuse()"]
        assert [(t.name, t.definition) for t in schema.types] == [("mood", "'calm', 'busy'")]


async def test_snapshot_leaves_out_the_runner_journal(backend, project):
    from migrator import Migrator

    project.migration("0001_users", "CREATE TABLE users (id INTEGER);\n", "DROP TABLE users;\n")
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
        schema = await snapshot(m.db)
    assert [t.name for t in schema.tables] == ["users"]
    assert schema.sequences == ()


async def test_spelling_noise_is_not_a_difference(backend):
    first = await _snapshot_after(backend, "CREATE TABLE t (a INTEGER NOT NULL DEFAULT 1 CHECK (a > 0), b TEXT);"
                                           "CREATE INDEX t_b ON t (b);")
    again = await _snapshot_after(backend, 'DROP TABLE t; CREATE TABLE "t" (\n  "a"   integer NOT NULL default 1 '
                                           'check ( "a">0 ),\n  b text\n);\ncreate index t_b on t(b);')
    assert diff(first, again) == []


async def test_a_difference_names_the_object_and_what_changed(backend):
    before = await _snapshot_after(backend, "CREATE TABLE t (a INTEGER DEFAULT 1, b TEXT)")
    after = await _snapshot_after(backend, "DROP TABLE t; CREATE TABLE t (a INTEGER DEFAULT 2, c TEXT);"
                                           "CREATE TABLE extra (id INTEGER)")
    words = {"added": "added", "missing": "missing", "changed": "changed"}
    assert [d.describe(words) for d in diff(before, after)] == [
        "added: table extra",
        "missing: column t.b (TEXT NULL)" if backend.dialect == "sqlite" else "missing: column t.b (text NULL)",
        "added: column t.c (TEXT NULL)" if backend.dialect == "sqlite" else "added: column t.c (text NULL)",
        "changed: column t.a: default 1 → 2",
    ]


async def test_a_column_that_comes_back_in_another_place_is_a_difference(backend):
    before = await _snapshot_after(backend, "CREATE TABLE t (a INTEGER, b TEXT, c TEXT)")
    after = await _snapshot_after(backend, "DROP TABLE t; CREATE TABLE t (a INTEGER, c TEXT, b TEXT, d TEXT)")
    words = {"added": "added", "missing": "missing", "changed": "changed"}
    assert [d.describe(words) for d in diff(before, after)] == [
        "changed: table t: column order a, b, c → a, c, b",
        "added: column t.d (TEXT NULL)" if backend.dialect == "sqlite" else "added: column t.d (text NULL)",
    ]
