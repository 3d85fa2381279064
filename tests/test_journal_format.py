"""A journal written by runner 0.1.0 (its SQL kept in tests/fixtures/journal-0.1.0/) is upgraded in place
on first write, with an event; one newer than this runner is refused."""
from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import error_of, start_cli

OLD = Path(__file__).parent / "fixtures" / "journal-0.1.0"


def old_journal(backend, version: int, name: str, sql: str) -> None:
    """What runner 0.1.0 left behind after applying one migration: its own tables, rows and event."""
    blocks = dict(re.findall(r"^-- name: (\w+)\n(.*?)(?=^-- name: |\Z)", (OLD / f"{backend.dialect}.sql").read_text(),
                             re.M | re.S))
    for statement in blocks["create"].split(";"):
        if statement.strip():
            backend.query(statement)
    from migrator.files import checksum
    values = dict(version=version, name=name, checksum=checksum(sql), rollback_checksum=None, rollback_sql=None,
                  actor="old@host", duration_ms=3, runner_version="0.1.0", failed=False, action="up",
                  success=True, message=f"sql/{version:04d}_{name}.sql")
    for block in ("record", "event"):
        text = blocks[block].strip().rstrip(";")
        names = re.findall(r"(?<!:):([a-z_]+)", text)
        backend.query(re.sub(r"(?<!:):([a-z_]+)", "?", text), *[values[n] for n in names])


def test_an_old_journal_is_read_as_it_is_and_upgraded_on_the_first_write(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer);\n", "DROP TABLE b;\n")
    backend.query("CREATE TABLE a (id integer)")
    old_journal(backend, 1, "a", "CREATE TABLE a (id integer);\n")

    status = cli("status", "--json")  # read-only: reads the old format, changes nothing
    assert status.returncode == 0, status.stderr
    assert [m["state"] for m in json.loads(status.stdout)["migrations"]] == ["applied", "pending"]
    assert "schema_journal_meta" not in backend.tables()

    assert cli("up").returncode == 0
    assert backend.journal() == [(1, "a", False), (2, "b", False)]
    assert backend.query("SELECT value FROM schema_journal_meta WHERE key = 'format'") == [("2",)]
    assert ("upgrade", None, True) in backend.events()
    assert backend.query("SELECT applied_sql FROM schema_journal ORDER BY version") == [
        (None,), ("CREATE TABLE b (id integer);\n",)]

    project.write("sql/0001_a.sql", "CREATE TABLE a (id bigint);\n")
    verify = cli("verify")
    assert verify.returncode == 3
    assert "the SQL as applied was not kept: applied by runner 0.1.0" in verify.stderr


def test_up_test_on_an_old_journal_tests_the_migrations_and_leaves_the_journal_as_it_was(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer);\n", "DROP TABLE b;\n")
    backend.query("CREATE TABLE a (id integer)")
    old_journal(backend, 1, "a", "CREATE TABLE a (id integer);\n")
    tested = cli("up", "--test")
    assert tested.returncode == 0, tested.stderr
    assert "schema_journal_meta" not in backend.tables() and "b" not in backend.tables()
    assert backend.journal() == [(1, "a", False)]


def test_runners_racing_to_upgrade_an_old_journal_upgrade_it_once(project, backend):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer);\n", "DROP TABLE b;\n")
    backend.query("CREATE TABLE a (id integer)")
    old_journal(backend, 1, "a", "CREATE TABLE a (id integer);\n")
    runners = [start_cli("up", backend=backend, project=project) for _ in range(4)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runners]
    assert all(status == 0 for status, _ in results), results
    assert [action for action, _, _ in backend.events()].count("upgrade") == 1
    assert backend.journal() == [(1, "a", False), (2, "b", False)]


def test_a_journal_newer_than_the_runner_is_refused(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    assert cli("up").returncode == 0
    backend.query("UPDATE schema_journal_meta SET value = '3' WHERE key = 'format'")
    for command in (["status"], ["up"], ["verify"]):
        result = cli(*command)
        assert result.returncode == 2, result.stderr
        assert error_of(result).startswith("error: the journal was written by a newer runner (journal format 3")
    assert backend.query("SELECT value FROM schema_journal_meta") == [("3",)]


def test_only_the_edited_migration_gets_a_diff_and_it_is_its_own(project, backend, cli):
    # status reads the journal without the kept SQL, then the kept SQL of the edited ones only
    for stem, table in (("0001_a", "a"), ("0002_b", "b"), ("0003_c", "c")):
        project.migration(stem, f"CREATE TABLE {table} (id integer);\n", f"DROP TABLE {table};\n")
    assert cli("up").returncode == 0
    project.write("sql/0002_b.sql", "CREATE TABLE b (id bigint);\n")
    report = json.loads(cli("status", "--json").stdout)["migrations"]
    assert [(m["version"], m["state"]) for m in report] == [(1, "applied"), (2, "modified"), (3, "applied")]
    changed = report[1]["changes"].splitlines()
    assert "-CREATE TABLE b (id integer);" in changed and "+CREATE TABLE b (id bigint);" in changed
    assert report[0].get("changes") is None and report[2].get("changes") is None
    verify = cli("verify")
    assert verify.returncode == 3 and "0002_b was applied but sql/0002_b.sql has changed" in verify.stderr
    assert "-CREATE TABLE b (id integer);" in verify.stderr and "TABLE a" not in verify.stderr


def test_an_edited_migration_is_shown_as_a_diff(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (\n  id integer\n);\n", "DROP TABLE a;\n")
    assert cli("up").returncode == 0
    project.write("sql/0001_a.sql", "CREATE TABLE a (\n  id bigint\n);\n")
    verify = cli("verify")
    assert verify.returncode == 3
    assert "--- sql/0001_a.sql (as applied)" in verify.stderr and "+++ sql/0001_a.sql (today)" in verify.stderr
    assert "-  id integer" in verify.stderr and "+  id bigint" in verify.stderr
    status = json.loads(cli("status", "--json").stdout)["migrations"][0]
    assert status["state"] == "modified" and "+  id bigint" in status["changes"]
    assert "+  id bigint" in cli("status").stdout
    assert cli("repair").returncode == 0
    assert cli("verify").returncode == 0
    assert backend.query("SELECT applied_sql FROM schema_journal") == [("CREATE TABLE a (\n  id bigint\n);\n",)]
