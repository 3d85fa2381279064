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


def test_a_failed_create_index_concurrently_leaves_an_invalid_index_that_is_named(project, pg_backend):
    """CONCURRENTLY builds the index outside a transaction: when it fails (here a duplicate; a killed
    run does the same) the index stays, invalid. The error, status, verify and repair name it and
    the statement that fixes it; nothing calls the migration applied while the index is invalid."""
    project.migration("0001_t", "CREATE TABLE t (a integer);\nINSERT INTO t VALUES (1), (2), (2);\n", "DROP TABLE t;")
    project.migration("0002_idx", "-- runner: no-transaction\n"
                      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n",
                      "-- runner: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_a;\n")
    fix = 'DROP INDEX CONCURRENTLY IF EXISTS "t_a";'
    failed = run_cli("up", backend=pg_backend, project=project)
    assert failed.returncode == 1 and "could not create unique index" in failed.stderr
    assert "index t_a on t is invalid" in failed.stderr and fix in failed.stderr
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", True)]

    status = run_cli("status", backend=pg_backend, project=project)
    assert "note: index t_a on t is invalid" in status.stdout and fix in status.stdout
    verify = run_cli("verify", backend=pg_backend, project=project)
    assert verify.returncode == 3 and "invalid-index: index t_a on t is invalid" in verify.stderr
    pg_backend.query("DELETE FROM t WHERE a = 2")
    repair = run_cli("repair", backend=pg_backend, project=project)
    assert repair.returncode == 3 and "repair refuses" in repair.stderr and fix in repair.stderr
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", True)]

    pg_backend.query(fix)
    assert run_cli("repair", backend=pg_backend, project=project).returncode == 0
    assert run_cli("up", backend=pg_backend, project=project).returncode == 0
    assert pg_backend.query("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                            "WHERE c.relname = 't_a'") == [(True,)]


def test_up_never_calls_a_migration_applied_while_its_index_is_invalid(project, pg_backend):
    """IF NOT EXISTS skips the invalid index an earlier run left: the file "succeeds" but stays failed."""
    project.migration("0001_t", "CREATE TABLE t (a integer);\nINSERT INTO t VALUES (1), (2), (2);\n", "DROP TABLE t;")
    project.migration("0002_idx", "-- runner: no-transaction\n"
                      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n",
                      "-- runner: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_a;\n")
    assert run_cli("up", backend=pg_backend, project=project).returncode == 1
    pg_backend.query("DELETE FROM schema_journal WHERE version = 2")  # a person clearing it by hand
    again = run_cli("up", backend=pg_backend, project=project)
    assert again.returncode == 1 and "index t_a on t is invalid" in again.stderr
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", True)]


def test_sqlite_runner_killed_during_a_group_of_steps_leaves_journal_and_schema_agreeing(project, sqlite_backend):
    """SQLite commits the steps of 200 ms together: a kill loses the group in progress whole (none of
    it was reported), never part of it; the journal and the schema agree and the next `up` finishes."""
    for n in range(1, 21):
        project.migration(f"{n:04d}_t{n}", f"CREATE TABLE t{n} (id INTEGER);\nINSERT INTO t{n} VALUES ({n});\n",
                          f"DROP TABLE t{n};")
    project.migration("0021_slow", SLOW_SQLITE, "DROP TABLE big; DROP TABLE started;")
    runner = start_cli("up", backend=sqlite_backend, project=project)
    # the slow migration is running once the runner has used more CPU than starting and 20 small ones take
    wait_until(lambda: _cpu_seconds(runner.pid) > 1.5, timeout=120, what="the slow migration to run")
    os.kill(runner.pid, signal.SIGKILL)
    _, stderr = runner.communicate()
    applied = [v for v, _, _ in sqlite_backend.journal()]
    tables = sqlite_backend.tables()
    assert applied == list(range(1, len(applied) + 1)) and 21 not in applied
    assert {f"t{n}" for n in range(1, 21)} & tables == {f"t{n}" for n in applied}  # no table without its row
    assert "started" not in tables and "big" not in tables
    reported = [line for line in stderr.splitlines() if line.startswith("applied ")]
    assert len(reported) <= len(applied)  # nothing reported that the kill took back

    project.write("sql/0021_slow.sql", "CREATE TABLE started (id INTEGER);")
    result = run_cli("up", backend=sqlite_backend, project=project)
    assert result.returncode == 0, result.stderr
    assert [v for v, _, _ in sqlite_backend.journal()] == list(range(1, 22))


def test_sqlite_runner_interrupted_during_a_group_of_steps_says_so_and_keeps_journal_and_schema_agreeing(
        project, sqlite_backend):
    """Ctrl-C: exit 130, one error line; whatever was reported is applied, and nothing half-applied."""
    for n in range(1, 21):
        project.migration(f"{n:04d}_t{n}", f"CREATE TABLE t{n} (id INTEGER);\n", f"DROP TABLE t{n};")
    project.migration("0021_slow", SLOW_SQLITE, "DROP TABLE big; DROP TABLE started;")
    runner = start_cli("up", backend=sqlite_backend, project=project)
    wait_until(lambda: _cpu_seconds(runner.pid) > 1.5, timeout=120, what="the slow migration to run")
    os.kill(runner.pid, signal.SIGINT)
    _, stderr = runner.communicate(timeout=120)
    assert runner.returncode == 130, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: interrupted; the step in progress was rolled back, with those not yet reported as "
                      "done (`status` shows what is applied)"] and "Traceback" not in stderr
    applied = [v for v, _, _ in sqlite_backend.journal()]
    assert applied == list(range(1, len(applied) + 1)) and 21 not in applied
    assert {f"t{n}" for n in range(1, 21)} & sqlite_backend.tables() == {f"t{n}" for n in applied}
    reported = [line for line in stderr.splitlines() if line.startswith("applied ")]
    assert len(reported) <= len(applied)


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
