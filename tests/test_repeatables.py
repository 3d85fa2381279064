"""Repeatable migrations: sql/repeatable/<name>.sql runs after `up` whenever it is new or changed."""
import json

from conftest import error_of

VIEW = "DROP VIEW IF EXISTS {name};\nCREATE VIEW {name} AS SELECT id{extra} FROM items;\n"


def setup(project, *names):
    project.migration("0001_items", "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);", "DROP TABLE items;")
    for name in names:
        project.write(f"sql/repeatable/{name}.sql", VIEW.format(name=name, extra=""))


def runs(backend) -> list[tuple]:
    """(name, success) of every repeatable run in the event log."""
    return [(name, bool(ok)) for name, ok in backend.query(
        "SELECT name, success FROM schema_journal_events WHERE action = 'repeatable' ORDER BY id")]


def states(cli):
    return {r["name"]: r["state"] for r in json.loads(cli("status", "--json").stdout)["repeatables"]}


def test_repeatables_run_once_in_name_order_after_the_migrations(project, backend, cli):
    setup(project, "b_view", "a_view")
    assert states(cli) == {"a_view": "new", "b_view": "new"}
    result = cli("up")
    assert result.returncode == 0, result.stderr
    assert "applied 1 migration(s) and ran 2 repeatable(s)" in result.stdout
    assert result.stderr.index("ran repeatable/a_view") < result.stderr.index("ran repeatable/b_view")
    assert runs(backend) == [("a_view", True), ("b_view", True)]
    assert cli("up").stdout.startswith("nothing to apply")
    assert len(runs(backend)) == 2
    assert states(cli) == {"a_view": "current", "b_view": "current"}


def test_a_changed_repeatable_runs_again_but_a_crlf_checkout_is_not_a_change(project, backend, cli):
    setup(project, "v")
    cli("up")
    project.write("sql/repeatable/v.sql", VIEW.format(name="v", extra=""), newline="\r\n")
    assert states(cli) == {"v": "current"}
    project.write("sql/repeatable/v.sql", VIEW.format(name="v", extra=", label"))
    assert states(cli) == {"v": "changed"}
    assert cli("verify").returncode == 0  # changing a repeatable is the point, not a problem
    assert "-- repeatable/v" in cli("up", "--dry-run").stdout
    assert cli("up").returncode == 0
    assert backend.query("SELECT label FROM v") == []
    assert len(runs(backend)) == 2


def test_a_failing_repeatable_exits_1_and_the_ones_before_it_stay(project, backend, cli):
    setup(project, "a_view")
    project.write("sql/repeatable/b_broken.sql", "INSERT INTO nowhere VALUES (1);")
    result = cli("up")
    assert result.returncode == 1
    assert error_of(result).startswith("error: sql/repeatable/b_broken.sql:1:")
    assert states(cli) == {"a_view": "current", "b_broken": "new"}
    assert runs(backend) == [("a_view", True), ("b_broken", False)]


def test_down_leaves_repeatables_alone_and_up_runs_them_again(project, backend, cli):
    setup(project)
    project.migration("0002_more", "CREATE TABLE more (id INTEGER);", "DROP TABLE more;")
    project.write("sql/repeatable/v.sql", VIEW.format(name="v", extra=""))
    cli("up")
    assert cli("down").returncode == 0
    assert "v" in {r[0] for r in backend.query(
        "SELECT name FROM sqlite_master WHERE type = 'view'" if backend.dialect == "sqlite"
        else "SELECT viewname FROM pg_views WHERE schemaname = 'public'")}
    assert states(cli) == {"v": "new"}
    assert cli("up").returncode == 0
    assert states(cli) == {"v": "current"}


def test_up_to_a_version_does_not_run_repeatables(project, backend, cli):
    setup(project, "v")
    cli("up", "--to", "1")
    assert states(cli) == {"v": "new"}
