"""`up`: each migration in its own transaction with its journal row; errors name file and line."""
import json

from conftest import JOURNAL_TABLES, run_cli

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
LOANS = "CREATE TABLE loans (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n"


def two_migrations(project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.migration("0002_loans", LOANS, "DROP TABLE loans;")


def test_up_applies_every_migration_and_records_it(project, backend, cli):
    two_migrations(project)
    result = cli("up")
    assert result.returncode == 0, result.stderr
    assert {"users", "loans"} <= backend.tables()
    assert backend.journal() == [(1, "users", False), (2, "loans", False)]
    assert backend.events() == [("up", 1, True), ("up", 2, True)]
    assert "applied 2 migration(s); database at version 0002" in result.stdout
    assert "applied 0001_users (" in result.stderr and "applied 0002_loans (" in result.stderr


def test_up_twice_has_nothing_to_do(project, backend, cli):
    two_migrations(project)
    cli("up")
    again = cli("up")
    assert again.returncode == 0
    assert "nothing to apply" in again.stdout
    assert len(backend.events()) == 2


def test_failing_migration_leaves_no_trace_and_keeps_earlier_ones(project, backend, cli):
    two_migrations(project)
    project.migration("0003_broken", """
        CREATE TABLE half_done (id INTEGER);
        INSERT INTO half_done VALUES (1);
        INSERT INTO no_such_table VALUES (1);
        CREATE TABLE never (id INTEGER);
        """, "DROP TABLE half_done;")
    result = cli("up")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert error[0].startswith("error: sql/0003_broken.sql:3: ")
    assert "no_such_table" in error[0]
    assert "half_done" not in backend.tables()
    assert [v for v, _, _ in backend.journal()] == [1, 2]
    assert backend.events()[-1] == ("up", 3, False)


def test_up_to_stops_after_that_version(project, backend, cli):
    two_migrations(project)
    assert cli("up", "--to", "1").returncode == 0
    assert [v for v, _, _ in backend.journal()] == [1]


def test_up_to_an_unknown_version_is_a_usage_error(project, backend, cli):
    two_migrations(project)
    result = cli("up", "--to", "9")
    assert result.returncode == 2 and "error: --to=9" in result.stderr
    assert backend.journal() == []


def test_dry_run_prints_the_sql_and_changes_nothing(project, backend, cli):
    two_migrations(project)
    result = cli("up", "--dry-run")
    assert result.returncode == 0
    assert result.stdout.index("-- 0001_users") < result.stdout.index(USERS.strip()) < \
        result.stdout.index("-- 0002_loans") < result.stdout.index(LOANS.strip())
    assert backend.tables() == set()
    if backend.sqlite_path:
        assert not backend.sqlite_path.exists()


def test_single_transaction_is_all_or_nothing(project, backend, cli):
    two_migrations(project)
    project.migration("0003_broken", "SELECT * FROM missing_table;", "SELECT 1;")
    result = cli("up", "--single-transaction")
    assert result.returncode == 1
    assert "error: sql/0003_broken.sql:1:" in result.stderr
    assert backend.tables() - JOURNAL_TABLES == set()
    assert backend.journal() == []
    project.write("sql/0003_broken.sql", "SELECT 1;")
    assert cli("up", "--single-transaction").returncode == 0
    assert [v for v, _, _ in backend.journal()] == [1, 2, 3]


def test_up_refuses_while_an_applied_file_was_edited(project, backend, cli):
    two_migrations(project)
    cli("up", "--to", "1")
    project.write("sql/0001_users.sql", USERS + "-- edited after it was applied\n")
    result = cli("up")
    assert result.returncode == 3
    assert "modified: 0001_users" in result.stderr
    assert "loans" not in backend.tables()


def test_crlf_checkout_does_not_look_edited(project, backend, cli):
    project.write("sql/0001_users.sql", USERS)
    project.write("rollbacks/0001_users.sql", "DROP TABLE users;")
    cli("up")
    project.write("sql/0001_users.sql", USERS, newline="\r\n")
    status = json.loads(cli("status", "--json").stdout)
    assert status["migrations"][0]["state"] == "applied"
    assert cli("verify").returncode == 0


def test_missing_rollback_file_does_not_block_up(project, backend, cli):
    project.migration("0001_users", USERS)
    result = cli("up")
    assert result.returncode == 0
    assert cli("verify").returncode == 3


def test_bad_file_names_are_reported_before_the_database_is_touched(project, backend, cli):
    two_migrations(project)
    project.write("sql/add users.sql", "SELECT 1;")
    result = cli("up")
    assert result.returncode == 3
    assert "bad-name: sql/add users.sql" in result.stderr
    assert backend.tables() == set()
    if backend.sqlite_path:
        assert not backend.sqlite_path.exists()


def test_statements_with_semicolons_in_strings_comments_and_bodies(project, backend, cli):
    project.migration("0001_t", """
        CREATE TABLE t (a TEXT DEFAULT 'x;y'); -- comment; with semicolon
        /* block; comment */
        INSERT INTO t VALUES ('it''s; fine');
        """, "DROP TABLE t;")
    applied = cli("up")
    assert applied.returncode == 0, applied.stderr
    assert backend.query("SELECT a FROM t") == [("it's; fine",)]


def test_wrong_usage_exits_2_without_traceback(project):
    result = run_cli("up", "--bogus", project=project)
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_default_database_is_dev_db_in_the_working_directory(project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    result = run_cli("up", project=project)
    assert result.returncode == 0, result.stderr
    assert (project.root / "dev.db").exists()


def test_database_url_comes_from_the_environment(project, backend):
    from conftest import runner_env
    project.migration("0001_users", USERS, "DROP TABLE users;")
    result = run_cli("up", project=project, env=runner_env(DATABASE_URL=backend.url))
    assert result.returncode == 0, result.stderr
    assert "users" in backend.tables()
