"""checks/<migration file name>: queries returning offending rows, run inside the migration's own step."""
from __future__ import annotations

import json

from conftest import error_of

USERS = "CREATE TABLE users (id integer PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@x'), (2, NULL), (3, NULL);\n"
NOT_NULL = {  # the guide's example: no NULL emails before email becomes NOT NULL
    "sqlite": "CREATE TABLE users_new (id integer PRIMARY KEY, email text NOT NULL);\n"
              "INSERT INTO users_new SELECT id, coalesce(email, 'unknown') FROM users;\n"
              "DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
    "postgres": "UPDATE users SET email = 'unknown' WHERE email IS NULL;\n"
                "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
}


def two_migrations(project, backend) -> None:
    project.migration("0001_users", USERS, "DROP TABLE users;\n")
    project.write(f"sql/0002_email_not_null.{backend.dialect}.sql", NOT_NULL[backend.dialect])
    project.write("rollbacks/0002_email_not_null.sql", "SELECT 1;\n")


def test_a_before_check_with_rows_fails_the_migration_and_changes_nothing(project, backend, cli):
    two_migrations(project, backend)
    project.write("checks/0002_email_not_null.sql", """
        -- runner: before
        -- no NULL emails before email becomes NOT NULL
        SELECT id, email FROM users WHERE email IS NULL ORDER BY id;
        """)
    result = cli("up")
    assert result.returncode == 1
    assert error_of(result).splitlines()[0] == (
        "error: checks/0002_email_not_null.sql:3: before-check failed: 2 row(s), e.g. (2, NULL), (3, NULL)")
    assert backend.journal() == [(1, "users", False)]
    assert backend.query("SELECT count(*) FROM users WHERE email IS NULL") == [(2,)]
    assert backend.events()[-1] == ("up", 2, False)


def test_a_check_whose_own_sql_fails_is_named_by_its_file_and_line(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;\n")
    project.write("checks/0001_users.sql", "-- the emails\n\nSELECT id FROM users WHERE no_such_column IS NULL;\n")
    result = cli("up")
    assert result.returncode == 1
    assert error_of(result).startswith("error: checks/0001_users.sql:3: ")
    assert "no_such_column" in error_of(result).splitlines()[0]
    assert backend.journal() == []


def test_single_transaction_records_a_failed_check_against_its_own_migration(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;\n")
    project.migration("0002_more", "CREATE TABLE more (id integer);\n", "DROP TABLE more;\n")
    project.write("checks/0001_users.sql", "SELECT id FROM users WHERE email IS NULL;\n")
    result = cli("up", "--single-transaction")
    assert result.returncode == 1
    assert error_of(result).startswith("error: checks/0001_users.sql:1: after-check failed: 2 row(s)")
    assert backend.journal() == []
    assert backend.events()[-1] == ("up", 1, False)


def test_an_after_check_runs_after_the_sql_and_before_the_journal_row_commits(project, backend, cli):
    two_migrations(project, backend)
    project.write("checks/0002_email_not_null.sql", """
        -- runner: after
        SELECT id FROM users WHERE email = 'unknown';
        """)
    result = cli("up")
    assert result.returncode == 1
    assert error_of(result).startswith("error: checks/0002_email_not_null.sql:2: after-check failed: 2 row(s)")
    assert backend.journal() == [(1, "users", False)]  # the migration was rolled back with its checks
    assert backend.query("SELECT count(*) FROM users WHERE email IS NULL") == [(2,)]


def test_checks_that_pass_let_the_migration_commit_and_status_shows_them(project, backend, cli):
    two_migrations(project, backend)
    project.write("checks/0002_email_not_null.sql", """
        -- runner: before
        SELECT id FROM users WHERE id < 0;
        -- runner: after
        SELECT id FROM users WHERE email IS NULL;
        """)
    applied = cli("up")
    assert applied.returncode == 0, applied.stderr
    assert [v for v, _, _ in backend.journal()] == [1, 2]
    doc = json.loads(cli("status", "--json").stdout)
    assert [m["checks"] for m in doc["migrations"]] == [False, True]
    assert "CHECKS" in cli("status").stdout


def test_editing_a_check_never_marks_its_migration_modified(project, backend, cli):
    two_migrations(project, backend)
    project.write("checks/0002_email_not_null.sql", "SELECT id FROM users WHERE email IS NULL;\n")
    assert cli("up").returncode == 0
    project.write("checks/0002_email_not_null.sql", "SELECT id FROM users WHERE id = -1;\n")
    assert cli("verify").returncode == 0


def test_dry_run_prints_the_checks_and_up_test_runs_them(project, backend, cli):
    two_migrations(project, backend)
    project.write("checks/0002_email_not_null.sql", "-- runner: before\nSELECT id FROM users WHERE email IS NULL;\n")
    assert cli("up", "--to", "1").returncode == 0
    dry = cli("up", "--dry-run")
    assert dry.returncode == 0
    assert "-- before-check (checks/0002_email_not_null.sql:2): any row fails 0002_email_not_null" in dry.stdout
    tested = cli("up", "--test")
    assert tested.returncode == 1
    assert "before-check failed: 2 row(s)" in tested.stderr and "the database is unchanged" in tested.stderr


def test_check_runs_the_data_checks_on_its_scratch_database(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;\n")
    project.write("checks/0001_users.sql", "SELECT id FROM users WHERE email IS NULL;\n")
    result = cli("check")
    assert result.returncode == 3
    assert "after-check failed: 2 row(s)" in result.stdout


def test_a_checks_file_without_its_migration_is_a_problem_found_before_connecting(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;\n")
    project.write("checks/0002_gone.sql", "SELECT 1 WHERE 1 = 0;\n")
    result = cli("up")
    assert result.returncode == 3
    assert "orphan-checks: checks/0002_gone.sql: checks file has no up file sql/0002_gone.sql" in result.stderr
    assert backend.tables() == set()  # not even the journal: nothing was connected to


def test_a_no_transaction_migration_runs_its_checks_around_its_statements(project, pg_backend, pg_cli):
    project.migration("0001_t", "CREATE TABLE t (a integer);\nINSERT INTO t VALUES (1), (NULL);\n", "DROP TABLE t;")
    project.migration("0002_idx", "-- runner: no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n",
                      "-- runner: no-transaction\nDROP INDEX CONCURRENTLY t_a;\n")
    project.write("checks/0002_idx.sql", "-- runner: after\nSELECT a FROM t WHERE a IS NULL;\n")
    result = pg_cli("up")
    assert result.returncode == 1
    assert "checks/0002_idx.sql:2: after-check failed: 1 row(s), e.g. (NULL)" in result.stderr
    assert "marked failed" in result.stderr
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", True)]  # failed, as a failing statement leaves it
