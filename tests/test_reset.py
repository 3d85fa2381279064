"""`reset`: drop everything, then up and seed; only where it is safe."""
import pytest

from conftest import JOURNAL_TABLES, run_cli, runner_env

pytestmark = pytest.mark.all_pg_versions  # reset's drop list is read from the catalog: see tests/pg_servers.py


def project_with_seed(project):
    project.migration("0001_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;")
    project.write("seeds/0001_demo.sql", "INSERT INTO users VALUES (1, 'a@demo.com') ON CONFLICT DO NOTHING;")


def test_reset_drops_objects_made_by_hand_and_rebuilds(project, backend, cli):
    project_with_seed(project)
    cli("up")
    backend.query("CREATE TABLE handmade (id INTEGER)")
    backend.query("CREATE VIEW handmade_view AS SELECT id FROM handmade")
    backend.query("INSERT INTO users VALUES (7, 'stray@demo.com')")
    result = cli("reset")
    assert result.returncode == 0, result.stderr
    assert "dropped table " in result.stdout and "handmade" in result.stdout
    assert "reset: dropped" in result.stdout and "applied 1 migration(s), ran 1 seed file(s)" in result.stdout
    assert backend.tables() == {"users", *JOURNAL_TABLES}
    assert backend.query("SELECT id FROM users") == [(1,)]
    assert [v for v, _, _ in backend.journal()] == [1]


def test_reset_no_seed(project, backend, cli):
    project_with_seed(project)
    assert cli("reset", "--no-seed").returncode == 0
    assert backend.query("SELECT count(*) FROM users") == [(0,)]


def test_reset_drops_postgres_routines_types_sequences_and_extensions(project, pg_backend, pg_cli):
    project_with_seed(project)
    pg_backend.query("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    pg_backend.query("CREATE TYPE mood AS ENUM ('ok')")
    pg_backend.query("CREATE SEQUENCE counter")
    extension = pg_backend.an_extension()  # any will do
    pg_backend.query(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    result = pg_cli("reset")
    assert result.returncode == 0, result.stderr
    for dropped in ("function public.f()", "type public.mood", "sequence public.counter", f"extension {extension}"):
        assert f"dropped {dropped}" in result.stdout
    assert pg_backend.query("SELECT count(*) FROM pg_extension WHERE extname = %s", extension) == [(0,)]


def test_reset_refuses_a_remote_database_before_connecting(project):
    result = run_cli("reset", "--url", "postgresql://app:secret@db.example.com/prod", project=project)
    assert result.returncode == 2
    assert "it is not a local database" in result.stderr and "--force" in result.stderr
    assert "secret" not in result.stderr


def test_reset_refuses_in_production_even_with_force(project, backend, cli):
    project_with_seed(project)
    cli("up")
    result = cli("reset", "--force", env=runner_env(RUNNER_ENV="production"))
    assert result.returncode == 2 and "RUNNER_ENV=production" in result.stderr
    assert [v for v, _, _ in backend.journal()] == [1]


async def test_reset_after_up_on_the_same_migrator_recreates_the_journal(project, backend):
    from migrator import Migrator

    project_with_seed(project)
    async with Migrator.connect(backend.url, project.root) as m:
        await m.up()
        result = await m.reset(seed=False)
        assert [s.version for s in result.applied] == [1]
    assert [v for v, _, _ in backend.journal()] == [1]
