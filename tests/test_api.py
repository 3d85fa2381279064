"""The Python API: the same engine as the CLI, from application code, async and blocking."""
import json

import pytest

from migrator import Migrator, ProblemsFound, ScriptError, sync
from conftest import run_cli


def two(project):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    project.migration("0002_b", "CREATE TABLE b (id INTEGER);\nINSERT INTO nowhere VALUES (1);", "DROP TABLE b;")


async def test_api_inside_a_running_event_loop(project, backend):
    two(project)
    seen = []
    async with Migrator.connect(backend.url, project.root, on_progress=seen.append) as m:
        assert [mig.label for mig in await m.plan_up()] == ["0001_a", "0002_b"]
        with pytest.raises(ScriptError) as info:
            await m.up()
        err = info.value
        assert (err.path, err.line, err.exit_code) == ("sql/0002_b.sql", 2, 1)
        assert "nowhere" in err.db_message
        assert [r.label for r in err.done] == ["0001_a"] == [r.label for r in seen]
        report = await m.status()
    cli_report = json.loads(run_cli("status", "--json", backend=backend, project=project).stdout)
    assert report.as_json() == cli_report


async def test_api_errors_carry_the_cli_exit_status(project, backend):
    two(project)
    project.write("sql/0002_b.sql", "CREATE TABLE b (id INTEGER);")
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
    project.write("sql/0001_a.sql", "CREATE TABLE a (id INTEGER, edited INTEGER);")
    async with Migrator.connect(backend.url, project.root) as m:
        with pytest.raises(ProblemsFound) as info:
            await m.up()
    assert info.value.exit_code == 3 == run_cli("up", backend=backend, project=project).returncode
    assert [p.kind.value for p in info.value.problems] == ["modified"]


def test_blocking_wrapper_gives_the_same_results_as_the_cli(project, backend):
    two(project)
    project.write("sql/0002_b.sql", "CREATE TABLE b (id INTEGER);")
    done = sync.up(backend.url, project.root)
    assert [(r.action, r.label) for r in done] == [("up", "0001_a"), ("up", "0002_b")]
    assert sync.status(backend.url, project.root).as_json() == \
        json.loads(run_cli("status", "--json", backend=backend, project=project).stdout)
    assert [r.label for r in sync.down(backend.url, project.root, everything=True)] == ["0002_b", "0001_a"]
    assert sync.verify(backend.url, project.root, strict=True)[0].kind.value == "pending"


async def test_blocking_wrapper_refuses_inside_an_event_loop(project, sqlite_backend):
    with pytest.raises(RuntimeError, match="running event loop"):
        sync.status(sqlite_backend.url, project.root)


async def test_up_before_runs_first_and_only_when_something_is_pending(project, backend):
    """What `up --backup` relies on: its backup shows the database before this run changed anything."""
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    calls = []

    async def before(pending) -> None:
        calls.append([mig.label for mig in pending])
        assert "a" not in backend.tables()  # nothing applied yet

    async with Migrator.connect(backend.url, project.root) as m:
        assert [r.label for r in await m.up(before=before)] == ["0001_a"]
        assert await m.up(before=before) == []
    assert calls == [["0001_a"]]
    assert "a" in backend.tables()


async def test_a_runner_that_applies_a_migration_meanwhile_is_neither_undone_nor_repeated(project, backend):
    """No lock outlives a transaction (so a pooler in transaction mode cannot strand one): another
    runner may apply a pending migration between this run's plan and its step, which then skips it."""
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")

    async def before(pending) -> None:
        async with Migrator.connect(backend.url, project.root) as other:
            assert [r.label for r in await other.up()] == ["0001_a"]

    async with Migrator.connect(backend.url, project.root) as m:
        assert await m.up(before=before) == []
    assert backend.journal() == [(1, "a", False)]
    assert [e for e in backend.events() if e[0] == "up"] == [("up", 1, True)]
