"""`check`: every rollback must restore exactly the schema from before its migration."""
from __future__ import annotations

import pytest

from conftest import run_cli

pytestmark = pytest.mark.all_pg_versions  # catalog reads: see tests/pg_servers.py

USERS = ("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, credit INTEGER DEFAULT 1);\n",
         "DROP TABLE users;\n")


def test_a_correct_pair_passes_check(cli, project):
    project.migration("0001_users", *USERS)
    project.migration("0002_users_email", "CREATE INDEX users_email_idx ON users (email);\n",
                      "DROP INDEX users_email_idx;\n")
    done = cli("check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ok      0001_users", "ok      0002_users_email"]
    assert "check passed: 2 of 2 migration(s) roll back to exactly the schema before them" in done.stderr


def test_a_rollback_that_forgets_an_index_is_caught(cli, project):
    project.migration("0001_users", *USERS)
    project.migration("0002_users_email", "CREATE INDEX users_email_idx ON users (email);\n", "SELECT 1;\n")
    done = cli("check")
    assert done.returncode == 3
    lines = done.stdout.splitlines()
    assert lines[:3] == ["ok      0001_users", "FAILED  0002_users_email",
                         "  - rollbacks/0002_users_email.sql does not restore the schema from before the migration:"]
    assert lines[3].startswith("        left behind: index users_email_idx (CREATE INDEX users_email_idx ON ")
    assert "applying it again after its rollback failed" in done.stdout  # the index is still there
    assert done.stderr.startswith("error: check failed: 1 of 2 migration(s) roll back")


def test_a_rollback_that_forgets_a_column_default_is_caught(cli, project, backend):
    project.migration("0001_users", *USERS)
    if backend.dialect == "postgres":
        project.migration("0002_credit", "ALTER TABLE users ALTER COLUMN credit SET DEFAULT 5;\n",
                          "ALTER TABLE users ALTER COLUMN credit DROP DEFAULT;\n")
    else:  # SQLite changes a default by recreating the table
        recreate = """
            CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, credit INTEGER {});
            INSERT INTO users_new SELECT id, email, credit FROM users;
            DROP TABLE users;
            ALTER TABLE users_new RENAME TO users;
            """
        project.migration("0002_credit", recreate.format("DEFAULT 5"), recreate.format(""))
    done = cli("check")
    assert done.returncode == 3
    assert "FAILED  0002_credit" in done.stdout
    assert "        changed: column users.credit: default 1 → none" in done.stdout.splitlines()
    assert "applying it again" not in done.stdout  # the up file itself repeats fine


TRIGGER = {
    "sqlite": ("CREATE TABLE audit (n INTEGER);\n",
               "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (NEW.id); END;\n"),
    "postgres": ("CREATE TABLE audit (n INTEGER);\n"
                 "CREATE FUNCTION audit_user() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                 "BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END $$;\n",
                 "CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION audit_user();\n"),
}


def test_a_rollback_that_forgets_a_trigger_is_caught(cli, project, backend):
    project.migration("0001_users", *USERS)
    setup, trigger = TRIGGER[backend.dialect]
    project.migration("0002_audit", setup, "DROP TABLE audit;\n" if backend.dialect == "sqlite"
                      else "DROP FUNCTION audit_user();\nDROP TABLE audit;\n")
    project.migration("0003_users_audit", trigger, "-- forgot the trigger\nSELECT 1;\n")
    done = cli("check")
    assert done.returncode == 3
    lines = done.stdout.splitlines()
    assert lines[:3] == ["ok      0001_users", "ok      0002_audit", "FAILED  0003_users_audit"]
    assert lines[4].startswith("        left behind: trigger users_audit on users (")


def test_an_up_file_that_cannot_run_again_after_its_rollback_fails_check(cli, project):
    project.migration("0001_registry", "CREATE TABLE registry (name TEXT PRIMARY KEY);\n", "DROP TABLE registry;\n")
    # the rollback restores the schema but leaves the row the up file inserted
    project.migration("0002_plugins", "CREATE TABLE plugins (id INTEGER);\nINSERT INTO registry VALUES ('plugins');\n",
                      "DROP TABLE plugins;\n")
    project.migration("0003_later", "CREATE TABLE later (id INTEGER);\n", "DROP TABLE later;\n")
    done = cli("check")
    assert done.returncode == 3
    assert "  - applying it again after its rollback failed: sql/0002_plugins.sql:" in done.stdout
    assert "ok      0003_later" not in done.stdout
    assert "1 not checked: 0003_later" in done.stderr


def test_check_never_touches_the_database_at_url(cli, project, backend):
    project.migration("0001_users", *USERS)
    assert cli("check").returncode == 0
    assert backend.tables() == set()
    if backend.sqlite_path is not None:
        assert not backend.sqlite_path.exists()


def test_check_uses_an_empty_scratch_url_and_leaves_it_empty(project, backend):
    project.migration("0001_users", *USERS)
    done = run_cli("check", "--scratch-url", backend.url, project=project)
    assert done.returncode == 0, done.stderr
    assert backend.tables() == set()  # the runner's journal too: it was not there before
    again = run_cli("check", "--scratch-url", backend.url, project=project)
    assert again.returncode == 0, again.stderr


def test_check_refuses_a_scratch_url_that_is_not_empty(project, backend):
    project.migration("0001_users", *USERS)
    backend.query("CREATE TABLE precious (id INTEGER)")
    done = run_cli("check", "--scratch-url", backend.url, project=project)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --scratch-url ")
    assert "is not empty (table precious)" in done.stderr
    assert backend.tables() == {"precious"}


def test_check_reports_a_migration_without_rollback(cli, project):
    project.migration("0001_users", USERS[0])
    done = cli("check")
    assert done.returncode == 3
    assert "  - it has no rollback file rollbacks/0001_users.sql" in done.stdout


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/x"])
def test_check_on_an_unreachable_server_is_a_configuration_error(project, url):
    project.migration("0001_users", *USERS)
    done = run_cli("check", "--url", url, project=project)
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot connect to postgresql://postgres@127.0.0.1:1/x")
    assert "Traceback" not in done.stderr


def test_check_and_drift_never_print_the_password(project, pg_backend):
    project.migration("0001_users", *USERS)
    # the local server trusts its clients, so any password connects; it must still never be shown
    url = pg_backend.url.replace("postgres@", "postgres:s3cret-pw@", 1)
    for command in ("check", "drift", "schema"):
        done = run_cli(command, "--url", url, project=project)
        assert done.returncode == 0, done.stderr
        assert "s3cret-pw" not in done.stdout + done.stderr
    scratch = run_cli("check", "--scratch-url", url, project=project)
    assert "s3cret-pw" not in scratch.stdout + scratch.stderr


def test_check_applies_the_repeatables_after_the_last_migration(cli, project):
    project.migration("0001_users", *USERS)
    project.write("sql/repeatable/user_emails.sql", "DROP VIEW IF EXISTS user_emails;\n"
                                                    "CREATE VIEW user_emails AS SELECT email FROM users;\n")
    done = cli("check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ok      0001_users", "ok      sql/repeatable/ (1 file(s))"]
    project.write("sql/repeatable/user_emails.sql", "CREATE VIEW user_emails AS SELEC email FROM users;\n")
    done = cli("check")
    assert done.returncode == 3
    lines = done.stdout.splitlines()
    assert lines[1] == "FAILED  sql/repeatable/ (1 file(s))"
    assert lines[2].startswith("  - applying them after the last migration failed: sql/repeatable/user_emails.sql:1: ")
    assert "; the repeatables failed" in done.stderr


def test_many_unchecked_migrations_make_one_short_error_line(cli, project):
    project.migration("0001_broken", "CREATE TABLE t (id INTEGER);\nSELECT * FROM nowhere;\n", "DROP TABLE t;\n")
    for n in range(2, 300):
        project.migration(f"{n:04d}_later_with_a_long_name", f"CREATE TABLE t{n} (id INTEGER);\n",
                          f"DROP TABLE t{n};\n")
    done = cli("check")
    assert done.returncode == 3
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(line) < 400
    assert "298 not checked: 0002_later_with_a_long_name, 0003_later_with_a_long_name, " \
           "0004_later_with_a_long_name, … (and 295 more)" in line
