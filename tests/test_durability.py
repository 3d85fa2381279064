"""PostgreSQL: each migration commits without waiting for the WAL flush; the run ends with one that does.

Atomicity per migration is what test_steps.py checks on every backend. Here: the migrations
really commit with synchronous_commit off, and by the time `up` returns, successful or not,
the WAL is flushed past every migration it committed. A migration writes the WAL position of
its own work (pg_current_wal_insert_lsn(), before its commit record) into a table; the flush
position must have passed it. Without the final synchronous commit it would not have: the WAL
writer flushes asynchronous commits only every wal_writer_delay (200 ms by default).
"""
from __future__ import annotations

import uuid

import psycopg
import pytest

from migrator import Migrator, ScriptError

pytestmark = pytest.mark.all_pg_versions  # pg_logical_emit_message's signature changed in 17: see tests/pg_servers.py

SEEN = ("INSERT INTO seen (version, setting, lsn) "
        "VALUES ({version}, current_setting('synchronous_commit'), pg_current_wal_insert_lsn());\n")


def recording_migrations(project, count: int) -> None:
    project.migration("0001_seen", "CREATE TABLE seen (version integer, setting text, lsn pg_lsn);\n"
                      + SEEN.format(version=1), "DROP TABLE seen;\n")
    for version in range(2, count + 1):
        project.migration(f"{version:04d}_more", f"CREATE TABLE t{version} (id integer);\n"
                          + SEEN.format(version=version), f"DROP TABLE t{version};\n")


def flushed_past(plain_url: str) -> list[tuple]:
    with psycopg.connect(plain_url, autocommit=True) as conn:
        return conn.execute("SELECT version, setting, lsn <= pg_current_wal_flush_lsn() FROM seen "
                            "ORDER BY version").fetchall()


async def test_migrations_commit_asynchronously_and_up_returns_once_they_are_durable(pg_backend, project):
    recording_migrations(project, 3)
    async with Migrator.connect(pg_backend.url, project.root) as m:
        await m.up()
        # Asked on the runner's own connection, the moment up() returns.
        rows = await m.db.fetch("SELECT version, setting, lsn <= pg_current_wal_flush_lsn() AS flushed FROM seen "
                                "ORDER BY version")
    assert [(r["version"], r["flushed"]) for r in rows] == [(1, True), (2, True), (3, True)]
    # Asynchronous, but for a commit coming WINDOW (0.2 s) after the last durable point, which is
    # synchronous instead (it makes every earlier one durable): on a loaded machine, a later one may be.
    assert rows[0]["setting"] == "off" and {r["setting"] for r in rows} <= {"off", "on"}


async def test_a_failed_run_leaves_the_migrations_before_it_durable(pg_backend, project):
    recording_migrations(project, 2)
    project.migration("0003_bad", "SELECT * FROM nowhere;\n", "SELECT 1;\n")
    async with Migrator.connect(pg_backend.url, project.root) as m:
        with pytest.raises(ScriptError):
            await m.up()
    found = flushed_past(pg_backend.plain_url)
    assert [(version, flushed) for version, _, flushed in found] == [(1, True), (2, True)]
    assert found[0][1] == "off"
    assert pg_backend.journal() == [(1, "seen", False), (2, "more", False)]


async def test_the_final_commit_follows_the_servers_own_setting(pg_backend, project):
    """Only the migrations' commits are asynchronous: the session's synchronous_commit is left alone."""
    recording_migrations(project, 1)
    async with Migrator.connect(pg_backend.url, project.root) as m:
        await m.up()
        rows = await m.db.fetch("SELECT setting = reset_val AS unchanged FROM pg_settings "
                                "WHERE name = 'synchronous_commit'")
    assert rows == [{"unchanged": True}]


async def test_up_returns_durable_where_the_database_turned_synchronous_commit_off(pg_backend, project):
    """A database (or role, or server) with synchronous_commit off would make the run's final
    commit asynchronous too: the runner raises it to `local` there."""
    database = pg_backend.plain_url.rsplit("/", 1)[1].split("?")[0]
    pg_backend.query(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
    recording_migrations(project, 3)
    async with Migrator.connect(pg_backend.url, project.root) as m:
        await m.up()
        rows = await m.db.fetch("SELECT version, lsn <= pg_current_wal_flush_lsn() AS flushed FROM seen "
                                "ORDER BY version")
        setting = await m.db.fetch("SELECT current_setting('synchronous_commit') AS value")
    assert [(r["version"], r["flushed"]) for r in rows] == [(1, True), (2, True), (3, True)]
    assert setting == [{"value": "off"}]  # the session's own setting is left as the database has it


async def test_the_final_commit_works_where_logical_messages_are_not_allowed(pg_backend, project):
    """A role without EXECUTE on pg_logical_emit_message still gets a durable end of the run."""
    role = f"runner_no_messages_{uuid.uuid4().hex[:8]}"
    pg_backend.query(f"DROP ROLE IF EXISTS {role}")
    pg_backend.query(f"CREATE ROLE {role} LOGIN")
    database = pg_backend.plain_url.rsplit("/", 1)[1].split("?")[0]
    pg_backend.query(f'GRANT ALL ON DATABASE "{database}" TO {role}')
    pg_backend.query(f"GRANT ALL ON SCHEMA public TO {role}")
    # (boolean, text, text) up to 16; 17 added a fourth argument, `flush`: revoke every signature there is
    signatures = [r[0] for r in pg_backend.query(
        "SELECT oid::regprocedure::text FROM pg_proc WHERE proname = 'pg_logical_emit_message'")]
    for signature in signatures:
        pg_backend.query(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    try:
        recording_migrations(project, 2)
        url = pg_backend.url.replace("postgres@", f"{role}@", 1)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # so the fallback is what runs below
            with psycopg.connect(pg_backend.plain_url.replace("postgres@", f"{role}@", 1)) as conn:
                conn.execute("SELECT pg_logical_emit_message(true, 'x', 'y')")
        async with Migrator.connect(url, project.root) as m:
            await m.up()
            rows = await m.db.fetch("SELECT bool_and(lsn <= pg_current_wal_flush_lsn()) AS flushed FROM seen")
        assert rows == [{"flushed": True}]
    finally:
        for signature in signatures:
            pg_backend.query(f"GRANT EXECUTE ON FUNCTION {signature} TO PUBLIC")
        pg_backend.query(f"DROP OWNED BY {role}")
        pg_backend.query(f"DROP ROLE {role}")


async def test_sqlite_commits_steps_together_and_up_returns_once_all_are_committed(sqlite_backend, project):
    """SQLite: the steps of 200 ms share one commit (one disk flush); by the time up() returns (the
    connection still open) every one of them is committed: another connection sees them all."""
    for n in range(1, 31):
        project.migration(f"{n:04d}_t{n}", f"CREATE TABLE t{n} (id INTEGER);\n", f"DROP TABLE t{n};\n")
    seen = []
    async with Migrator.connect(sqlite_backend.url, project.root,
                                on_progress=lambda r: seen.append(len(sqlite_backend.journal()))) as m:
        await m.up()
        assert len(sqlite_backend.journal()) == 30
    # each progress line came once its step was committed: the journal another connection reads had it
    assert all(count >= index for index, count in enumerate(seen, 1))
