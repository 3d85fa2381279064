"""`down` and `redo`: newest first, each in its own transaction, from the file or the stored copy."""
import pytest

from conftest import JOURNAL_TABLES, error_of


@pytest.fixture
def three(project, cli):
    for n, name in ((1, "a"), (2, "b"), (3, "c")):
        project.migration(f"000{n}_{name}", f"CREATE TABLE {name} (id INTEGER);", f"DROP TABLE {name};")
    assert cli("up").returncode == 0


def versions(backend):
    return [v for v, _, _ in backend.journal()]


def test_down_rolls_back_the_newest_one(three, backend, cli):
    result = cli("down")
    assert result.returncode == 0
    assert versions(backend) == [1, 2]
    assert "c" not in backend.tables()
    assert "rolled back 0003_c" in result.stderr and "using rollbacks/0003_c.sql" in result.stderr
    assert backend.events()[-1] == ("down", 3, True)


def test_down_count_to_and_all(three, backend, cli):
    assert cli("down", "2").returncode == 0
    assert versions(backend) == [1]
    cli("up")
    assert cli("down", "--to", "1").returncode == 0
    assert versions(backend) == [1]
    assert cli("down", "--all").returncode == 0
    assert versions(backend) == []
    assert backend.tables() == JOURNAL_TABLES


def test_down_uses_the_stored_copy_when_the_file_is_gone(three, project, backend, cli):
    (project.root / "rollbacks/0003_c.sql").unlink()
    result = cli("down")
    assert result.returncode == 0, result.stderr
    assert "using the copy stored in the journal" in result.stderr
    assert "c" not in backend.tables()


def test_down_works_when_the_up_file_is_gone_too(three, project, backend, cli):
    (project.root / "rollbacks/0003_c.sql").unlink()
    (project.root / "sql/0003_c.sql").unlink()
    assert cli("down").returncode == 0
    assert versions(backend) == [1, 2]


def test_failing_rollback_keeps_the_migration_applied(three, project, backend, cli):
    project.write("rollbacks/0003_c.sql", "DROP TABLE c;\nDROP TABLE not_there;\n")
    result = cli("down")
    assert result.returncode == 1
    assert "error: rollbacks/0003_c.sql:2:" in result.stderr
    assert "c" in backend.tables()
    assert versions(backend) == [1, 2, 3]
    assert backend.events()[-1] == ("down", 3, False)


def test_a_failing_rollback_in_down_all_keeps_the_rollbacks_before_it(three, project, backend, cli):
    project.write("rollbacks/0002_b.sql", "DROP TABLE b;\nDROP TABLE not_there;\n")
    result = cli("down", "--all")
    assert result.returncode == 1
    assert "rolled back 0003_c" in result.stderr and "error: rollbacks/0002_b.sql:2:" in result.stderr
    assert versions(backend) == [1, 2]
    assert "c" not in backend.tables() and "b" in backend.tables()
    assert backend.events()[-2:] == [("down", 3, True), ("down", 2, False)]


def test_down_dry_run_changes_nothing(three, backend, cli):
    result = cli("down", "--all", "--dry-run")
    assert result.returncode == 0
    assert result.stdout.index("DROP TABLE c") < result.stdout.index("DROP TABLE b") < \
        result.stdout.index("DROP TABLE a")
    assert versions(backend) == [1, 2, 3]


def test_redo_rolls_back_and_reapplies_the_newest_with_two_events(three, project, backend, cli):
    project.write("sql/0003_c.sql", "CREATE TABLE c (id INTEGER, extra TEXT);")
    result = cli("redo")
    assert result.returncode == 0, result.stderr
    assert backend.events()[-2:] == [("down", 3, True), ("up", 3, True)]
    assert backend.query("SELECT count(*) FROM c WHERE extra IS NULL") == [(0,)]
    assert cli("verify").returncode == 0


def test_down_with_nothing_applied_is_fine(project, backend, cli):
    result = cli("down")
    assert result.returncode == 0
    assert "rolled back 0 migration(s)" in result.stdout


def test_redo_with_nothing_applied_is_a_refusal(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    result = cli("redo")
    assert result.returncode == 3  # a refusal, like baseline's: no migration failed, nothing changed
    assert error_of(result) == "error: nothing to redo: no migration is applied\n"
    assert versions(backend) == [] and "a" not in backend.tables()
