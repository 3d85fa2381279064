"""Production safety: `up --test`, lock timeouts with retries, statement timeouts."""
import psycopg

from conftest import error_of, run_cli, start_cli


def base(project):
    project.migration("0001_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")


def test_up_test_applies_and_rolls_back_leaving_the_database_unchanged(project, backend, cli):
    base(project)
    cli("up")
    project.migration("0002_more", "CREATE TABLE more (id INTEGER);\nINSERT INTO t VALUES (1);", "DROP TABLE more;")
    journal, events, tables = backend.journal(), backend.events(), backend.tables()
    result = cli("up", "--test")
    assert result.returncode == 0, result.stderr
    assert "tested 0002_more" in result.stderr and "test passed: 1 migration(s)" in result.stdout
    assert (backend.journal(), backend.events(), backend.tables()) == (journal, events, tables)
    assert backend.query("SELECT count(*) FROM t") == [(0,)]


def test_up_test_on_a_new_database_does_not_even_leave_the_journal(project, backend, cli):
    base(project)
    assert cli("up", "--test").returncode == 0
    assert backend.tables() == set()


def test_up_test_reports_what_would_fail(project, backend, cli):
    base(project)
    project.migration("0002_bad", "CREATE TABLE more (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
                      "DROP TABLE more;")
    result = cli("up", "--test")
    assert result.returncode == 1
    error = error_of(result)
    assert error.startswith("error: sql/0002_bad.sql:2:")
    assert "the database is unchanged" in error
    assert backend.tables() == set()


def test_up_test_refuses_no_transaction_files(project, pg_backend, pg_cli):
    base(project)
    project.migration("0002_idx", "-- runner: no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);",
                      "DROP INDEX t_id;")
    result = pg_cli("up", "--test")
    assert result.returncode == 2
    assert "up --test cannot test 0002_idx: a no-transaction file" in result.stderr
    assert pg_backend.tables() == set()


def hold_table_lock(backend):
    conn = psycopg.connect(backend.plain_url + "?application_name=busy-app")
    conn.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # an open transaction, as a busy app would
    return conn


def test_blocked_migration_fails_fast_by_lock_timeout(project, pg_backend, pg_cli):
    base(project)
    pg_cli("up")
    project.migration("0002_col", "ALTER TABLE t ADD COLUMN note text;", "ALTER TABLE t DROP COLUMN note;")
    holder = hold_table_lock(pg_backend)
    try:
        result = pg_cli("up", "--lock-timeout", "0.2")
        pid = holder.execute("SELECT pg_backend_pid()").fetchone()[0]
    finally:
        holder.close()
    assert result.returncode == 1
    error = error_of(result).splitlines()
    assert error[0] == "error: sql/0002_col.sql:1: canceling statement due to lock timeout"
    assert error[1].startswith(f"t: locked by pid {pid} (user postgres, application busy-app, ")  # who to ask
    assert [v for v, _, _ in pg_backend.journal()] == [1]


def test_blocked_migration_retries_and_succeeds_once_the_lock_is_released(project, pg_backend):
    base(project)
    assert run_cli("up", backend=pg_backend, project=project).returncode == 0
    project.migration("0002_other", "CREATE TABLE other (id integer);", "DROP TABLE other;")
    project.migration("0003_col", "ALTER TABLE t ADD COLUMN note text;", "ALTER TABLE t DROP COLUMN note;")
    holder = hold_table_lock(pg_backend)
    runner = start_cli("up", "--lock-timeout", "0.2", "--retries", "10", backend=pg_backend, project=project)
    applied = runner.stderr.readline()  # what was applied is reported before the runner waits
    assert applied.startswith("applied 0002_other ("), applied
    first_retry = runner.stderr.readline()  # blocks until the runner reports its first retry
    assert first_retry.startswith("retrying 0003_col in 0.5 s: canceling statement due to lock timeout; "
                                  "attempt 2 of 11"), first_retry
    holder.close()  # the busy transaction ends
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert [v for v, _, _ in pg_backend.journal()] == [1, 2, 3]
    attempts = [success for action, version, success in pg_backend.events() if version == 3]
    assert attempts[-1] is True and attempts[:-1] and not any(attempts[:-1])  # each failed try is logged


def test_statement_timeout_stops_a_runaway_statement(project, pg_backend, pg_cli):
    base(project)
    project.migration("0002_slow", "SELECT 1;\nSELECT pg_sleep(30);", "SELECT 1;")
    result = pg_cli("up", "--statement-timeout", "0.2")
    assert result.returncode == 1
    # the file, not its line: finding the line would run the slow statement again, and time out again
    assert error_of(result).startswith("error: sql/0002_slow.sql: canceling statement due to statement timeout")
    assert [v for v, _, _ in pg_backend.journal()] == [1]


def test_lock_timeout_holds_for_every_migration_of_a_run_not_just_the_first(project, pg_backend, pg_cli):
    base(project)
    pg_cli("up")
    project.migration("0002_other", "CREATE TABLE other (id integer);", "DROP TABLE other;")
    project.migration("0003_col", "ALTER TABLE t ADD COLUMN note text;", "ALTER TABLE t DROP COLUMN note;")
    holder = hold_table_lock(pg_backend)
    try:
        result = pg_cli("up", "--lock-timeout", "0.2", timeout=60)
    finally:
        holder.close()
    assert result.returncode == 1
    assert error_of(result).startswith("error: sql/0003_col.sql:1: canceling statement due to lock timeout")
    assert [v for v, _, _ in pg_backend.journal()] == [1, 2]
