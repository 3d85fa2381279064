"""SQLite checks the foreign keys a step can have broken before it commits (migrator/drivers/sqlite_fk.py).

Enforcement is off while a migration runs, so the check is what stops a broken reference from
landing. It looks only at the tables a step wrote and the tables that reference them: these pin
that every way a step can break a reference is still caught, and what it no longer looks at.
"""
from __future__ import annotations

import pytest

from migrator import Migrator, ScriptError

SCHEMA = """
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
    INSERT INTO parent VALUES (5);
    INSERT INTO child VALUES (9, 5);
    """


async def apply(backend, project) -> list:
    async with Migrator.connect(backend.url, project.root) as m:
        return await m.up()


async def fails_at_commit(backend, project, version: int, stem: str, *, done: tuple = ()) -> ScriptError:
    with pytest.raises(ScriptError) as caught:
        await apply(backend, project)
    assert caught.value.path == f"sql/{stem}.sql"
    assert "FOREIGN KEY check failed: a row of table child" in caught.value.db_message
    assert [r.version for r in caught.value.done] == list(done)  # applied by this run before the failure
    assert backend.journal()[-1][0] == version - 1  # the failing step left no journal row
    return caught.value


async def test_deleting_a_referenced_row_fails(sqlite_backend, project):
    project.migration("0001_schema", SCHEMA)
    await apply(sqlite_backend, project)
    project.migration("0002_purge", "DELETE FROM parent;\n")  # the step never names child
    await fails_at_commit(sqlite_backend, project, 2, "0002_purge")
    assert sqlite_backend.query("SELECT id FROM parent") == [(5,)]


async def test_recreating_a_parent_without_its_rows_fails(sqlite_backend, project):
    project.migration("0001_schema", SCHEMA)
    await apply(sqlite_backend, project)
    project.migration("0002_recreate_parent", """
        CREATE TABLE parent_new (id INTEGER PRIMARY KEY, note TEXT);
        DROP TABLE parent;
        ALTER TABLE parent_new RENAME TO parent;
        """)
    await fails_at_commit(sqlite_backend, project, 2, "0002_recreate_parent")
    assert sqlite_backend.query("SELECT id FROM parent") == [(5,)]


async def test_a_broken_reference_written_by_a_trigger_fails(sqlite_backend, project):
    project.migration("0001_schema", SCHEMA + """
        CREATE TABLE audit (id INTEGER PRIMARY KEY);
        CREATE TRIGGER audit_adds_a_child AFTER INSERT ON audit
        BEGIN INSERT INTO child VALUES (NEW.id, 404); END;
        """)
    await apply(sqlite_backend, project)
    project.migration("0002_audit", "INSERT INTO audit VALUES (1);\n")
    await fails_at_commit(sqlite_backend, project, 2, "0002_audit")


async def test_a_statement_seen_in_an_earlier_step_is_still_watched(sqlite_backend, project):
    """The same text in two steps: SQLite's statement cache must not hide the second from the check."""
    delete_newest = "DELETE FROM parent WHERE id = (SELECT max(id) FROM parent);\n"
    project.migration("0001_schema", SCHEMA)
    await apply(sqlite_backend, project)
    project.migration("0002_add_and_remove", "INSERT INTO parent VALUES (6);\n" + delete_newest)
    project.migration("0003_remove", delete_newest)  # now the newest is 5, which child references
    await fails_at_commit(sqlite_backend, project, 3, "0003_remove", done=(2,))  # one run, one connection


async def test_a_new_foreign_key_on_rows_already_there_fails(sqlite_backend, project):
    project.migration("0001_tables", """
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER);
        INSERT INTO child VALUES (9, 5);
        """)
    await apply(sqlite_backend, project)
    project.migration("0002_child_references_parent", """
        CREATE TABLE child_new (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
        INSERT INTO child_new SELECT id, parent_id FROM child;
        DROP TABLE child;
        ALTER TABLE child_new RENAME TO child;
        """)
    with pytest.raises(ScriptError) as caught:
        await apply(sqlite_backend, project)
    assert "FOREIGN KEY check failed" in caught.value.db_message
    assert sqlite_backend.journal() == [(1, "tables", False)]


async def test_a_broken_reference_the_step_did_not_touch_does_not_block_it(sqlite_backend, project):
    """Rows broken outside the runner (enforcement is off by default in SQLite) are not the step's doing."""
    project.migration("0001_schema", SCHEMA)
    await apply(sqlite_backend, project)
    sqlite_backend.query("INSERT INTO child VALUES (10, 404)")  # foreign_keys is off in this connection
    project.migration("0002_other", "CREATE TABLE other (id INTEGER PRIMARY KEY);\nINSERT INTO other VALUES (1);\n")
    assert [r.version for r in await apply(sqlite_backend, project)] == [2]
    assert sqlite_backend.query("SELECT count(*) FROM other") == [(1,)]
