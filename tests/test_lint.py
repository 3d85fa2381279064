"""`lint`: each rule has an example that fails and one that passes. Reads files only, no database."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli, runner_env

USERS = ("CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);\n", "DROP TABLE users;\n")


def lint(project, *args: str, env: dict | None = None):
    return run_cli("lint", *args, project=project, env=env)


def findings(project, *args: str, env: dict | None = None) -> list[tuple]:
    """(file, line, rule, severity) of every finding of `lint --json`."""
    done = lint(project, "--json", *args, env=env)
    assert done.returncode in (0, 3), done.stderr
    return [(f["file"], f["line"], f["rule"], f["severity"]) for f in json.loads(done.stdout)["findings"]]


def rules(project, *args: str) -> set[str]:
    return {f[2] for f in findings(project, *args)}


# -- drop-without-backup -----------------------------------------------------------------------------

def test_dropping_a_table_without_a_backup_note_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_drop_users", "-- users moved to accounts\nDROP TABLE users;\n", USERS[0])
    done = lint(project, "--dialect=sqlite")
    assert done.returncode == 3
    assert done.stdout.splitlines()[:2] == [
        "sql/0002_drop_users.sql:2: error: drop-without-backup: DROP TABLE users deletes the table and its rows",
        "    advice: copy the data somewhere first (a backup table, an export) and say where in a "
        "`-- backup: <where>` comment; a rollback cannot bring dropped data back"]
    assert done.stderr.startswith("error: lint found 1 error(s), 0 warning(s) in 4 file(s)")


def test_dropping_a_table_with_a_backup_note_passes(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_drop_users", "-- backup: users_2024 in the archive database\nDROP TABLE users;\n",
                      USERS[0])
    done = lint(project, "--dialect=sqlite")
    assert done.returncode == 0, done.stdout
    assert done.stdout == ""
    assert done.stderr.startswith("lint passed: 0 error(s), 0 warning(s)")


def test_dropping_a_column_without_a_backup_note_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_no_nickname", "ALTER TABLE users DROP COLUMN nickname;\n",
                      "ALTER TABLE users ADD COLUMN nickname TEXT;\n")
    assert ("sql/0002_no_nickname.sql", 1, "drop-without-backup", "error") in findings(project, "--dialect=sqlite")


def test_a_table_recreation_and_a_table_of_the_same_file_are_not_data_drops(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_recreate", """
        CREATE TABLE users_new (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE, nickname TEXT);
        INSERT INTO users_new SELECT * FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        PRAGMA foreign_key_check;
        CREATE TABLE tmp (id INTEGER);
        DROP TABLE tmp;
        """, """
        CREATE TABLE users_old (id BIGINT PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);
        INSERT INTO users_old SELECT * FROM users;
        DROP TABLE users;
        ALTER TABLE users_old RENAME TO users;
        PRAGMA foreign_key_check;
        """)
    assert findings(project, "--dialect=sqlite") == []


# -- sqlite-unsupported-alter ------------------------------------------------------------------------

def test_drop_column_on_a_sqlite_that_lacks_it_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_no_nickname", "-- backup: not needed, always empty\n"
                                          "ALTER TABLE users DROP COLUMN nickname;\n",
                      "ALTER TABLE users ADD COLUMN nickname TEXT;\n")
    done = lint(project, "--dialect=sqlite", "--min-sqlite=3.34.1")
    assert done.returncode == 3
    assert ("sql/0002_no_nickname.sql:2: error: sqlite-unsupported-alter: ALTER TABLE users DROP COLUMN needs "
            "SQLite 3.35.0 or newer; the oldest SQLite to support is 3.34.1") in done.stdout


def test_drop_column_passes_on_a_sqlite_that_has_it_and_on_postgres(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_no_nickname", "-- backup: not needed, always empty\n"
                                          "ALTER TABLE users DROP COLUMN nickname;\n",
                      "ALTER TABLE users ADD COLUMN nickname TEXT;\n")
    assert "sqlite-unsupported-alter" not in rules(project, "--dialect=sqlite", "--min-sqlite=3.35.0")
    assert "sqlite-unsupported-alter" not in rules(project, "--dialect=postgres", "--min-sqlite=3.20")


def test_a_bad_min_sqlite_is_a_usage_error(project):
    done = lint(project, "--min-sqlite=latest")
    assert done.returncode == 2
    assert done.stderr == "error: --min-sqlite must be a version like 3.35.0, not 'latest'\n"


# -- recreate-without-fk-check -----------------------------------------------------------------------

RECREATE = """
    {directive}CREATE TABLE users_new (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE, nickname TEXT);
    INSERT INTO users_new SELECT * FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    {check}"""


def test_a_sqlite_table_recreation_without_foreign_key_check_is_reported(project):
    project.migration("0001_users", *USERS)
    project.write("sql/0002_unique_email.sqlite.sql", RECREATE.format(directive="", check=""))
    project.write("rollbacks/0002_unique_email.sqlite.sql", "SELECT 1;\n")
    project.write("sql/0003_again.sqlite.sql", RECREATE.format(directive="-- runner: no-transaction\n    ", check=""))
    project.write("rollbacks/0003_again.sqlite.sql", "SELECT 1;\n")
    found = findings(project, "--dialect=sqlite")
    # the runner checks foreign keys before its commit; nothing does outside a transaction
    assert ("sql/0002_unique_email.sqlite.sql", 3, "recreate-without-fk-check", "warning") in found
    assert ("sql/0003_again.sqlite.sql", 4, "recreate-without-fk-check", "error") in found


def test_a_sqlite_table_recreation_with_foreign_key_check_passes(project):
    project.migration("0001_users", *USERS)
    project.write("sql/0002_unique_email.sqlite.sql", RECREATE.format(directive="", check="PRAGMA foreign_key_check;"))
    project.write("rollbacks/0002_unique_email.sqlite.sql", "SELECT 1;\n")
    assert "recreate-without-fk-check" not in rules(project, "--dialect=sqlite")


# -- rollback-incomplete ---------------------------------------------------------------------------

def test_a_rollback_that_does_not_drop_what_its_up_file_creates_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_more", """
        CREATE TABLE sessions (id BIGINT PRIMARY KEY, user_id BIGINT);
        CREATE INDEX sessions_user_idx ON sessions (user_id);
        CREATE INDEX users_email_idx ON users (email);
        ALTER TABLE users ADD COLUMN created_at TEXT;
        CREATE VIEW active_users AS SELECT id FROM users;
        """, "DROP TABLE sessions;\n")
    done = lint(project, "--dialect=sqlite")
    assert done.returncode == 3
    lines = [line for line in done.stdout.splitlines() if "rollback-incomplete" in line]
    assert lines == [
        "sql/0002_more.sql:3: error: rollback-incomplete: index users_email_idx is created here, but "
        "rollbacks/0002_more.sql never drops it (nor its table users)",
        "sql/0002_more.sql:4: error: rollback-incomplete: column users.created_at is created here, but "
        "rollbacks/0002_more.sql never drops it (nor its table users)",
        "sql/0002_more.sql:5: error: rollback-incomplete: view active_users is created here, but "
        "rollbacks/0002_more.sql never drops it",
    ]
    assert "advice: add `DROP INDEX users_email_idx;` to rollbacks/0002_more.sql" in done.stdout


def test_a_rollback_that_undoes_everything_passes(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_more", """
        CREATE TABLE sessions (id BIGINT PRIMARY KEY, user_id BIGINT);
        CREATE INDEX sessions_user_idx ON sessions (user_id);
        CREATE INDEX users_email_idx ON users (email);
        ALTER TABLE users ADD COLUMN created_at TEXT;
        CREATE VIEW active_users AS SELECT id FROM users;
        ALTER TABLE users RENAME COLUMN nickname TO handle;
        """, """
        ALTER TABLE users RENAME COLUMN handle TO nickname;
        DROP VIEW active_users;
        ALTER TABLE users DROP COLUMN created_at;
        DROP INDEX users_email_idx;
        DROP TABLE sessions;
        """)
    assert "rollback-incomplete" not in rules(project, "--dialect=sqlite")


def test_a_rename_that_the_rollback_does_not_reverse_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_rename", "ALTER TABLE users RENAME TO accounts;\n", "SELECT 1;\n")
    assert ("sql/0002_rename.sql", 1, "rollback-incomplete", "error") in findings(project, "--dialect=sqlite")


# -- allow comments --------------------------------------------------------------------------------

def test_an_allow_comment_silences_a_rule_for_that_file_only(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_drop_users", "-- runner: allow drop-without-backup\nDROP TABLE users;\n", USERS[0])
    project.migration("0003_users", *USERS)
    project.migration("0004_drop_users", "DROP TABLE users;\n", USERS[0])
    found = findings(project, "--dialect=sqlite")
    assert [f[0] for f in found if f[2] == "drop-without-backup"] == ["sql/0004_drop_users.sql"]


def test_an_allow_comment_in_the_rollback_silences_rollback_incomplete(project):
    project.migration("0001_users", "CREATE TABLE users (id BIGINT);\n",
                      "-- runner: allow rollback-incomplete, drop-without-backup\nSELECT 1;\n")
    assert findings(project, "--dialect=sqlite") == []


# -- squawk, on PostgreSQL files -----------------------------------------------------------------------

def test_squawk_findings_are_mapped_with_file_line_rule_and_advice(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_index", "SET lock_timeout = '1s';\n\nCREATE INDEX users_email_idx ON users (email);\n",
                      "DROP INDEX users_email_idx;\n")
    done = lint(project, "--dialect=postgres")
    assert done.returncode == 3
    assert ("sql/0002_index.sql:3:1: error: require-concurrent-index-creation (squawk): During normal index creation"
            in done.stdout)
    assert "advice: Use `concurrently` to avoid blocking writes." in done.stdout
    assert "; squawk 2." in done.stderr


@pytest.mark.parametrize("statement, rule", [
    ("ALTER TABLE users ADD COLUMN age BIGINT NOT NULL;", "adding-required-field"),
    ("ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(100);", "changing-column-type"),
    ("ALTER TABLE users RENAME COLUMN nickname TO handle;", "renaming-column"),
])
def test_squawk_rules_that_endanger_production_are_errors(project, statement, rule):
    project.migration("0001_users", *USERS)
    project.migration("0002_change", f"SET lock_timeout = '1s';\n{statement}\n",
                      "-- runner: allow rollback-incomplete\nSELECT 1;\n")
    assert ("sql/0002_change.sql", 2, rule, "error") in findings(project, "--dialect=postgres")


def test_a_concurrent_index_in_a_no_transaction_file_passes_squawk(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_index", "-- runner: no-transaction\nSET lock_timeout = '1s';\n"
                                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n",
                      "-- runner: no-transaction\nSET lock_timeout = '1s';\n"
                      "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n")
    found = findings(project, "--dialect=postgres")
    assert [f for f in found if f[0].endswith("0002_index.sql") and f[3] == "error"] == []


def test_a_no_transaction_file_is_told_to_set_its_own_lock_timeout(project):
    """The runner's lock_timeout is SET LOCAL in a migration's transaction: a no-transaction file has none."""
    project.migration("0001_users", *USERS)
    project.migration("0002_index", "CREATE INDEX users_name_idx ON users (email);\n", "DROP INDEX users_name_idx;\n")
    project.migration("0003_index", "-- runner: no-transaction\n"
                                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n",
                      "-- runner: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n")
    found = findings(project, "--dialect=postgres")
    timeouts = {(f[0], f[3]) for f in found if f[2] in ("require-lock-timeout", "require-timeout-settings")}
    assert timeouts and all(path.endswith("0003_index.sql") and severity == "warning" for path, severity in timeouts)


def test_a_concurrent_index_in_a_transactional_file_is_an_error(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_index", "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
                      "DROP INDEX users_email_idx;\n")
    done = lint(project, "--dialect=postgres")
    assert done.returncode == 3
    assert ("sql/0002_index.sql:1: error: concurrently-in-transaction: CREATE INDEX … CONCURRENTLY cannot run "
            "inside a transaction, and the runner runs this file in one") in done.stdout


def test_lint_without_squawk_says_so_and_still_runs_its_own_rules(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_drop", "DROP TABLE users;\n", USERS[0])
    done = lint(project, env=runner_env(RUNNER_SQUAWK=""))
    assert done.returncode == 3
    assert "note: squawk is not installed (pip install squawk-cli)" in done.stderr
    assert "warning: squawk-missing: squawk is not installed" in done.stdout
    assert "error: drop-without-backup" in done.stdout


def test_strict_lint_fails_on_warnings(project):
    project.migration("0001_users", *USERS)
    assert lint(project, env=runner_env(RUNNER_SQUAWK="")).returncode == 0
    assert lint(project, "--strict", env=runner_env(RUNNER_SQUAWK="")).returncode == 3


def test_lint_json_is_one_document(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_drop", "DROP TABLE users;\n", USERS[0])
    done = lint(project, "--json", "--dialect=sqlite")
    assert done.returncode == 3
    doc = json.loads(done.stdout)
    assert doc["errors"] == 1 and doc["warnings"] == 0 and doc["files"] == 4 and doc["squawk"] is None
    assert doc["findings"] == [{
        "file": "sql/0002_drop.sql", "line": 1, "column": None, "rule": "drop-without-backup", "severity": "error",
        "message": "DROP TABLE users deletes the table and its rows",
        "advice": "copy the data somewhere first (a backup table, an export) and say where in a `-- backup: <where>` "
                  "comment; a rollback cannot bring dropped data back",
        "source": "runner", "dialects": ["sqlite"]}]


def test_lint_with_a_bad_dialect_is_a_usage_error(project):
    done = lint(project, "--dialect=oracle")
    assert done.returncode == 2
    assert done.stderr == "error: --dialect must be sqlite or postgres, not 'oracle'\n"


def test_an_object_dropped_and_created_again_is_not_new(project):
    view = "CREATE VIEW emails AS SELECT {} FROM users;\n"
    project.migration("0001_users", "CREATE TABLE users (id BIGINT, email TEXT);\n" + view.format("email"),
                      "DROP VIEW emails;\nDROP TABLE users;\n")
    project.migration("0002_view", "DROP VIEW emails;\n" + view.format("lower(email) AS email"),
                      "DROP VIEW emails;\n" + view.format("email"))
    assert "rollback-incomplete" not in rules(project, "--dialect=sqlite")


def test_a_rollback_that_renames_back_is_only_warned_about(project):
    project.migration("0001_users", *USERS)
    project.migration("0002_rename",
                      "-- runner: allow renaming-column\nALTER TABLE users RENAME COLUMN nickname TO handle;\n",
                      "ALTER TABLE users RENAME COLUMN handle TO nickname;\n")
    found = findings(project, "--dialect=postgres")
    assert ("rollbacks/0002_rename.sql", 1, "renaming-column", "warning") in found
    assert [f for f in found if f[3] == "error"] == []
