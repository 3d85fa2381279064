"""`drift` compares the live database with what its applied migrations give; `schema` prints either."""
from __future__ import annotations

import pytest

from conftest import run_cli

pytestmark = pytest.mark.all_pg_versions  # catalog reads: see tests/pg_servers.py

LOANS = [
    ("0001_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n", "DROP TABLE users;\n"),
    ("0002_loans", "CREATE TABLE loans (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),\n"
                   "                    amount INTEGER NOT NULL DEFAULT 0);\n"
                   "CREATE INDEX loans_user_idx ON loans (user_id);\n",
     "DROP TABLE loans;\n"),
    ("0003_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n", "DROP TABLE notes;\n"),
]


def _write(project, upto: int = len(LOANS)) -> None:
    for stem, up, down in LOANS[:upto]:
        project.migration(stem, up, down)


def test_a_database_made_by_its_migrations_has_no_drift(cli, project):
    _write(project)
    assert cli("up", "--to", "2").returncode == 0
    done = cli("drift")
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.startswith("no drift: ")
    assert "(at 0002)" in done.stdout


def test_a_table_added_by_hand_shows_in_drift(cli, project, backend):
    _write(project)
    assert cli("up").returncode == 0
    backend.query("CREATE TABLE scratchpad (id INTEGER)")
    done = cli("drift")
    assert done.returncode == 3
    assert "  added by hand: table scratchpad" in done.stdout.splitlines()
    assert done.stderr.startswith("error: drift: 1 difference(s) between the database and its migrations")


def test_drift_shows_what_is_missing_and_what_was_altered(cli, project, backend):
    _write(project)
    assert cli("up").returncode == 0
    backend.query("DROP INDEX loans_user_idx")
    backend.query("DROP TABLE notes")
    if backend.dialect == "postgres":
        backend.query("ALTER TABLE loans ALTER COLUMN amount SET DEFAULT 7")
    done = cli("drift")
    assert done.returncode == 3
    lines = done.stdout.splitlines()
    assert any(line.startswith("  missing: index loans_user_idx (CREATE INDEX loans_user_idx ON ") for line in lines)
    assert "  missing: table notes" in lines
    if backend.dialect == "postgres":
        assert "  altered: column loans.amount: default 0 → 7" in lines


def test_drift_compares_with_the_applied_migrations_only(cli, project, backend):
    _write(project)
    assert cli("up", "--to", "1").returncode == 0
    assert cli("drift").returncode == 0  # loans and notes are pending, not missing


def test_drift_changes_nothing(cli, project, backend):
    _write(project)
    assert cli("up").returncode == 0
    events = backend.events()
    backend.query("CREATE TABLE scratchpad (id INTEGER)")
    assert cli("drift").returncode == 3
    assert backend.events() == events
    assert "scratchpad" in backend.tables()


def test_drift_refuses_when_an_applied_file_is_gone(cli, project):
    _write(project)
    assert cli("up").returncode == 0
    (project.root / "sql" / "0003_notes.sql").unlink()
    done = cli("drift")
    assert done.returncode == 3
    assert done.stderr.startswith("error: drift cannot tell what the schema should be until these are resolved:")
    assert "0003_notes was applied but its file is gone" in done.stderr


def test_schema_writes_the_same_text_for_the_database_and_its_migrations(cli, project, tmp_path):
    _write(project)
    assert cli("up").returncode == 0
    live, files = tmp_path / "live.sql", tmp_path / "files.sql"
    done = cli("schema", "--out", str(live))
    assert done.returncode == 0, done.stderr
    assert cli("schema", "--from-files", "--out", str(files)).returncode == 0
    text = live.read_text()
    assert text == files.read_text()
    assert "schema_journal" not in text
    assert "loans_user_idx" in text and "CREATE TABLE notes" in text


def test_schema_text_rebuilds_the_same_schema(cli, project, backend, tmp_path):
    """The snapshot is SQL that, run on an empty database, gives the same schema back."""
    _write(project)
    assert cli("up").returncode == 0
    text = cli("schema").stdout
    project.write("sql/0001_all.sql", text)
    project.write("rollbacks/0001_all.sql", "SELECT 1;\n")
    for stem, _, _ in LOANS:
        (project.root / "sql" / f"{stem}.sql").unlink()
        (project.root / "rollbacks" / f"{stem}.sql").unlink()
    assert run_cli("schema", "--from-files", "--url", backend.url, project=project).stdout == text


def test_schema_of_the_database_is_read_only(project, tmp_path):
    done = run_cli("schema", "--url", f"file:{tmp_path / 'none.db'}", project=project)
    assert done.returncode == 0
    assert not (tmp_path / "none.db").exists()
    assert done.stdout.startswith("-- The SQLite schema, normalised by `runner.py schema`")


def test_schema_out_into_a_missing_folder_is_one_error_line(cli, project, tmp_path):
    done = cli("schema", "--out", str(tmp_path / "no" / "such" / "schema.sql"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot write ")
    assert len(done.stderr.splitlines()) == 1


def test_drift_compares_the_repeatables_at_the_newest_version(cli, project, backend):
    _write(project)
    project.write("sql/repeatable/big_loans.sql", "DROP VIEW IF EXISTS big_loans;\n"
                                                  "CREATE VIEW big_loans AS SELECT id FROM loans WHERE amount > 100;\n")
    assert cli("up").returncode == 0
    assert cli("drift").returncode == 0
    backend.query("DROP VIEW big_loans")
    done = cli("drift")
    assert done.returncode == 3
    assert "  missing: view big_loans (view)" in done.stdout.splitlines()


def test_drift_leaves_the_repeatables_out_below_the_newest_version(cli, project, backend):
    _write(project)
    project.write("sql/repeatable/big_loans.sql", "DROP VIEW IF EXISTS big_loans;\n"
                                                  "CREATE VIEW big_loans AS SELECT id FROM loans WHERE amount > 100;\n")
    assert cli("up").returncode == 0
    project.migration("0004_later", "CREATE TABLE later (id INTEGER);\n", "DROP TABLE later;\n")
    done = cli("drift")
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[0] == ("note: the objects of sql/repeatable/ are not compared: they follow the "
                                           "newest migration, and this database is not at it")
