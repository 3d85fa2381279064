"""Small things a new user runs into, each answered plainly."""
from __future__ import annotations

from conftest import error_of, run_cli


def test_up_warns_of_a_migration_without_a_rollback_file(project, sqlite_backend):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n")
    result = run_cli("up", backend=sqlite_backend, project=project)
    assert result.returncode == 0
    assert ("warning: 0001_a has no rollback file rollbacks/0001_a.sql: `down` cannot roll it back until that file "
            "exists") in result.stderr


def test_new_refuses_a_name_already_used(project, sqlite_backend):
    project.migration("0003_add_notifications", "CREATE TABLE n (id integer);\n", "DROP TABLE n;\n")
    result = run_cli("new", "add_notifications", project=project)
    assert result.returncode == 2
    assert error_of(result).startswith("error: a migration named 'add_notifications' exists already: "
                                       "sql/0003_add_notifications.sql")
    assert sorted(p.name for p in (project.root / "sql").iterdir()) == ["0003_add_notifications.sql"]


def test_up_refuses_a_file_still_holding_news_template_but_applies_an_empty_one(project, sqlite_backend):
    assert run_cli("new", "later", project=project).returncode == 0
    refused = run_cli("up", backend=sqlite_backend, project=project)
    assert refused.returncode == 3
    assert "unwritten: sql/0000_later.sql still holds only what `new` wrote" in refused.stderr
    (project.root / "sql" / "0000_later.sql").write_text("")  # really empty, as real projects have
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0


def test_down_to_an_unknown_version_exits_2(project, sqlite_backend):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    for command in (["down", "--to", "99"], ["up", "--to", "99"]):
        result = run_cli(*command, backend=sqlite_backend, project=project)
        assert result.returncode == 2, result.stderr
        assert "--to=99: no migration" in error_of(result)
    assert "a" in sqlite_backend.tables()


def test_status_of_a_sqlite_file_that_does_not_exist_says_so(project, tmp_path):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    result = run_cli("status", "--url", f"file:{tmp_path / 'typo.db'}", project=project)
    assert result.returncode == 0
    assert f"note: {tmp_path / 'typo.db'} does not exist (yet): every migration is pending" in result.stderr
    assert not (tmp_path / "typo.db").exists()
