"""A runner killed with SIGKILL mid-migration leaves no trace of it; the next `up` applies it."""
import os
import signal

import psycopg

from conftest import run_cli, start_cli, wait_until

SLOW_SQLITE = """
CREATE TABLE started (id INTEGER);
CREATE TABLE big AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000000)
    SELECT i FROM c;
"""


def test_sqlite_runner_killed_mid_migration_leaves_no_trace(project, sqlite_backend):
    project.migration("0001_first", "CREATE TABLE first (id INTEGER);", "DROP TABLE first;")
    project.migration("0002_slow", SLOW_SQLITE, "DROP TABLE big; DROP TABLE started;")
    assert run_cli("up", "--to", "1", backend=sqlite_backend, project=project).returncode == 0
    runner = start_cli("up", backend=sqlite_backend, project=project)
    # SQLite's rollback journal exists only while a write transaction is open: here, 0002's.
    journal_file = sqlite_backend.sqlite_path.with_name("test.db-journal")
    wait_until(journal_file.exists, what="0002 in progress")
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    assert "started" not in sqlite_backend.tables() and "big" not in sqlite_backend.tables()
    assert [v for v, _, _ in sqlite_backend.journal()] == [1]

    project.write("sql/0002_slow.sql", "CREATE TABLE started (id INTEGER);")  # still pending: may change
    result = run_cli("up", backend=sqlite_backend, project=project)
    assert result.returncode == 0, result.stderr
    assert [v for v, _, _ in sqlite_backend.journal()] == [1, 2]


def test_postgres_runner_killed_mid_migration_leaves_no_trace(project, pg_backend):
    project.migration("0001_first", "CREATE TABLE first (id INTEGER);", "DROP TABLE first;")
    project.migration("0002_slow", "CREATE TABLE started (id INTEGER);\nSELECT pg_sleep(60);\n",
                      "DROP TABLE started;")
    runner = start_cli("up", backend=pg_backend, project=project)
    wait_until(lambda: _sleeping_backends(pg_backend) == 1, what="the migration to be running")
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    # The server notices the dead client (client_connection_check_interval) and rolls back.
    wait_until(lambda: _sleeping_backends(pg_backend) == 0, what="the server to roll back")
    assert "started" not in pg_backend.tables()
    assert [v for v, _, _ in pg_backend.journal()] == [1]

    project.write("sql/0002_slow.sql", "CREATE TABLE started (id INTEGER);")
    result = run_cli("up", "--lock-wait", "10", backend=pg_backend, project=project)
    assert result.returncode == 0, result.stderr
    assert [v for v, _, _ in pg_backend.journal()] == [1, 2]


def _sleeping_backends(backend) -> int:
    # state = 'active': the backend of an earlier call of this very function, whose last query text
    # contains 'pg_sleep(60)' too, may still be listed (idle) for a moment after it disconnected.
    with psycopg.connect(backend.plain_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND state = 'active' AND query LIKE '%pg_sleep(60)%' "
                            "AND pid <> pg_backend_pid()").fetchone()[0]
