"""One transaction per step, which the driver runs as one unit (Driver.run_step): what up, down and seed keep.

The driver sends a step in as few trips as it can (SQLite: one hop to its thread; PostgreSQL:
three messages, journal values written as literals), so these pin what that must not change:
the migration and its journal row and event commit together or not at all, the journal is
re-read under the lock, the lock wait is bounded, and stored values come back byte for byte.
"""
from __future__ import annotations

import asyncio
import sqlite3

import psycopg
import pytest

from migrator import LockTimeout, Migrator, ScriptError

TRICKY = "-- it's a \\back\\slash, E'x', $$dollar$$ and a tab\there\nDROP TABLE a;\n"


def two_migrations(project) -> None:
    project.migration("0001_a", "CREATE TABLE a (id integer PRIMARY KEY);\nINSERT INTO a VALUES (1);\n",
                      "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer PRIMARY KEY);\n", "DROP TABLE b;\n")


async def test_each_migration_commits_with_its_journal_row_and_event(backend, project):
    two_migrations(project)
    async with Migrator.connect(backend.url, project.root) as m:
        done = await m.up()
    assert [(r.version, r.name) for r in done] == [(1, "a"), (2, "b")]
    assert {"a", "b"} <= backend.tables()
    assert backend.query("SELECT id FROM a") == [(1,)]
    assert backend.journal() == [(1, "a", False), (2, "b", False)]
    assert backend.events() == [("up", 1, True), ("up", 2, True)]


async def test_failing_migration_leaves_no_trace_and_keeps_earlier_ones(backend, project):
    project.migration("0001_a", "CREATE TABLE a (id integer PRIMARY KEY);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer PRIMARY KEY);\nINSERT INTO b VALUES (1);\n"
                                "INSERT INTO nowhere VALUES (1);\n", "DROP TABLE b;\n")
    async with Migrator.connect(backend.url, project.root) as m:
        with pytest.raises(ScriptError) as caught:
            await m.up()
    assert caught.value.path == "sql/0002_b.sql" and caught.value.line == 3
    assert "nowhere" in caught.value.db_message
    assert [r.version for r in caught.value.done] == [1]
    assert "a" in backend.tables() and "b" not in backend.tables()
    assert backend.journal() == [(1, "a", False)]
    assert backend.events() == [("up", 1, True), ("up", 2, False)]


async def test_failure_at_commit_leaves_no_trace(backend, project):
    """SQLite's foreign_key_check and a deferred PostgreSQL constraint both fail only at COMMIT."""
    project.migration("0001_parent", "CREATE TABLE parent (id integer PRIMARY KEY);\n", "DROP TABLE parent;\n")
    project.write("sql/0002_child.sqlite.sql", """
        CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));
        INSERT INTO child VALUES (1, 42);
        """)
    project.write("sql/0002_child.postgres.sql", """
        CREATE TABLE child (id integer PRIMARY KEY,
                            parent_id integer REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO child VALUES (1, 42);
        """)
    project.write("rollbacks/0002_child.sql", "DROP TABLE child;\n")
    async with Migrator.connect(backend.url, project.root) as m:
        with pytest.raises(ScriptError) as caught:
            await m.up()
    assert caught.value.path == f"sql/0002_child.{backend.dialect}.sql"
    assert caught.value.line is None  # not a statement of the file: the commit
    assert "child" not in backend.tables()
    assert backend.journal() == [(1, "parent", False)]
    assert backend.events() == [("up", 1, True), ("up", 2, False)]


async def test_down_removes_journal_rows_and_falls_back_to_the_stored_copy(backend, project):
    two_migrations(project)
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
    (project.root / "rollbacks" / "0002_b.sql").unlink()
    async with Migrator.connect(backend.url, project.root) as m:
        done = await m.down(everything=True)
    assert [(r.version, r.source) for r in done] == [
        (2, "rollbacks/0002_b.sql (copy stored in the journal)"), (1, "rollbacks/0001_a.sql")]
    assert not {"a", "b"} & backend.tables()
    assert backend.journal() == []
    assert backend.events()[-2:] == [("down", 2, True), ("down", 1, True)]


async def test_seed_reads_its_scale_and_commits_with_its_event(backend, project):
    project.migration("0001_numbers", "CREATE TABLE numbers (n integer PRIMARY KEY);\n", "DROP TABLE numbers;\n")
    project.write("seeds/0001_numbers.sql", """
        INSERT INTO numbers (n)
        WITH RECURSIVE counter (i) AS (
            SELECT 1 UNION ALL SELECT i + 1 FROM counter WHERE i < (SELECT scale FROM runner_seed))
        SELECT i FROM counter;
        """)
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
        await m.seed(scale=250)
    assert backend.query("SELECT count(*), max(n) FROM numbers") == [(250, 250)]
    assert backend.events()[-1] == ("seed", 1, True)


async def test_journal_values_are_stored_byte_for_byte(backend, project):
    project.migration("0001_a", "CREATE TABLE a (id integer PRIMARY KEY);\n", TRICKY)
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
    assert backend.query("SELECT rollback_sql FROM schema_journal") == [(TRICKY,)]


async def test_journal_values_survive_standard_conforming_strings_off(pg_backend, project):
    """The journal's literals are E'' strings, read the same whatever this setting says."""
    database = pg_backend.plain_url.rsplit("/", 1)[1].split("?")[0]
    pg_backend.query(f'ALTER DATABASE "{database}" SET standard_conforming_strings = off')
    project.migration("0001_a", "CREATE TABLE a (id integer PRIMARY KEY);\n", TRICKY)
    async with Migrator.connect(pg_backend.url, project.root) as m:
        await m.up()
    assert pg_backend.query("SELECT rollback_sql FROM schema_journal") == [(TRICKY,)]


async def test_a_step_another_runner_did_meanwhile_is_skipped(backend, project):
    """The journal is re-read under the transaction lock, so a plan made before another run goes stale safely."""
    two_migrations(project)
    async with Migrator.connect(backend.url, project.root) as slow:
        pending = await slow.plan_up()
        async with Migrator.connect(backend.url, project.root) as fast:
            await fast.up()
        assert await slow.steps.migration(pending[0]) is None
        steps = await slow.plan_down(everything=True)
        async with Migrator.connect(backend.url, project.root) as fast:
            await fast.down(everything=True)
        assert await slow.steps.rollback(steps[0]) is None
    assert backend.query("SELECT count(*) FROM schema_journal") == [(0,)]
    assert [e for e in backend.events() if e[0] == "up"] == [("up", 1, True), ("up", 2, True)]
    assert [e for e in backend.events() if e[0] == "down"] == [("down", 2, True), ("down", 1, True)]


async def test_a_step_waits_for_another_runners_transaction_lock_and_gives_up(backend, project):
    two_migrations(project)
    async with Migrator.connect(backend.url, project.root, lock_wait=0.2) as m:
        await m.up(to=1)
        migration = m.project.migrations[1]
        with hold_transaction_lock(backend):
            with pytest.raises(LockTimeout):
                await m.steps.migration(migration)
    assert "b" not in backend.tables()
    assert backend.journal() == [(1, "a", False)]


async def test_single_transaction_is_all_or_nothing(backend, project):
    two_migrations(project)
    project.migration("0003_bad", "CREATE TABLE c (id integer);\nSELECT * FROM nowhere;\n", "DROP TABLE c;\n")
    async with Migrator.connect(backend.url, project.root) as m:
        with pytest.raises(ScriptError):
            await m.up(single_transaction=True)
    assert not {"a", "b", "c"} & backend.tables()
    assert backend.journal() == []


class hold_transaction_lock:
    """Another session inside a transaction holding what a step's transaction must take first."""

    def __init__(self, backend):
        self.backend = backend

    def __enter__(self):
        if self.backend.dialect == "sqlite":
            self.conn = sqlite3.connect(self.backend.sqlite_path, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = psycopg.connect(self.backend.plain_url)  # not autocommit: the lock lives until rollback
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended("
                              "current_database() || '.' || current_schema() || '.schema_journal', 0))")
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


async def test_cancelling_a_sqlite_step_rolls_it_back(sqlite_backend, project):
    """The step runs as one call on SQLite's thread; Ctrl-C (a cancelled task) must still roll it back."""
    project.migration("0001_slow", "CREATE TABLE a (id integer);\n"
                      "WITH RECURSIVE c (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000000)\n"
                      "SELECT count(*) FROM c;\n", "DROP TABLE a;\n")
    async with Migrator.connect(sqlite_backend.url, project.root) as m:
        task = asyncio.create_task(m.up())
        while not _write_locked(sqlite_backend.sqlite_path):  # the step's transaction is open
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "a" not in sqlite_backend.tables()
    assert sqlite_backend.journal() == []


def _write_locked(path) -> bool:
    if not path.exists():
        return False
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()
