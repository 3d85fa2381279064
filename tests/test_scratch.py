"""Scratch databases of `check`, `drift` and `schema`: left as they were found, whatever the
migrations and rollbacks do, and a prelude run in them before the migrations."""
from __future__ import annotations

import asyncio

import psycopg
import pytest

from conftest import Backend, error_of, fresh_pg_database, pg_backend_at, run_cli
from migrator.errors import ConfigError, ScriptError
from migrator.scratch import _cleaned_up

pytestmark = pytest.mark.all_pg_versions  # the clean-up reads the catalog: see tests/pg_servers.py


@pytest.fixture
def scratch(request, backend, tmp_path) -> Backend:
    """A second empty database of the backend's kind, to pass as --scratch-url."""
    if backend.dialect == "sqlite":
        path = tmp_path / "scratch.db"
        yield Backend("sqlite", f"file:{path}", sqlite_path=path)
        return
    with fresh_pg_database(request.getfixturevalue("pg_admin_url"), "runner_scratch_test") as plain:
        yield pg_backend_at(backend.name, plain)


def objects(db: Backend) -> list[str]:
    """Every object in the database, the runner's journal included."""
    if db.dialect == "sqlite":
        if not db.sqlite_path.exists():
            return []
        return [f"{kind} {name}" for kind, name in db.query(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2")]
    return [f"{kind} {name}" for kind, name in db.query(
        "SELECT 'schema', nspname::text FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', "
        "'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%' "
        "UNION ALL SELECT 'relation', relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "UNION ALL SELECT 'type', typname::text FROM pg_type WHERE typnamespace = 'public'::regnamespace "
        "ORDER BY 1, 2")]


# -- left as it was found -------------------------------------------------------------------------

def test_check_empties_a_scratch_url_again_when_a_rollback_leaves_objects_behind(project, backend, scratch):
    project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE a;\n")
    project.migration("0002_v", "CREATE VIEW v AS SELECT x FROM a;\n", "SELECT 1;\n")  # forgets the view
    done = run_cli("check", "--url", backend.url, "--scratch-url", scratch.url, project=project)
    assert done.returncode == 3
    assert "FAILED  0002_v" in done.stdout
    assert objects(scratch) == []
    again = run_cli("check", "--url", backend.url, "--scratch-url", scratch.url, project=project)
    assert again.returncode == 3, again.stderr  # the same finding, not "is not empty"
    assert again.stdout == done.stdout


def test_check_empties_a_scratch_url_again_after_a_migration_fails(project, backend, scratch):
    if backend.dialect == "postgres":  # a schema of its own too, to be dropped with what is in it
        project.migration("0001_a", "CREATE SCHEMA audit;\nCREATE TABLE audit.a (x INTEGER);\n",
                          "DROP TABLE audit.a;\nDROP SCHEMA audit;\n")
    else:
        project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE a;\n")
    project.migration("0002_broken", "CREATE TABLE b (y INTEGER, CHECK (nope > 0));\n", "DROP TABLE b;\n")
    done = run_cli("check", "--url", backend.url, "--scratch-url", scratch.url, project=project)
    assert done.returncode == 3
    assert "  - applying it failed: sql/0002_broken.sql:1: " in done.stdout
    assert objects(scratch) == []


def test_drift_on_a_scratch_url_is_not_stopped_by_a_failing_rollback(project, backend, cli, scratch):
    project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE nope;\n")
    assert cli("up").returncode == 0
    for _ in range(2):  # and again: the scratch database was left empty
        done = cli("drift", "--scratch-url", scratch.url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("no drift: ")
        assert objects(scratch) == []


def test_drift_reports_a_migration_that_fails_on_the_scratch_database(project, backend, cli, scratch):
    project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (y INTEGER);\n", "DROP TABLE b;\n")
    assert cli("up").returncode == 0
    project.write("sql/0002_b.sql", "CREATE TABLE b (y INTEGER);\nCREATE TABLE a (x INTEGER);\n")  # edited since
    done = cli("drift", "--scratch-url", scratch.url)
    assert done.returncode == 1
    assert error_of(done).startswith("error: sql/0002_b.sql:2: ")
    assert "already exists" in error_of(done)
    assert objects(scratch) == []  # 0001's table, applied before the failure, is gone too


def test_a_scratch_url_whose_search_path_is_another_schema_keeps_that_schema(project, pg_backend, request):
    with fresh_pg_database(request.getfixturevalue("pg_admin_url"), "runner_scratch_test") as plain:
        with psycopg.connect(plain, autocommit=True) as conn:
            name = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute(f'DROP SCHEMA public; CREATE SCHEMA app; ALTER DATABASE "{name}" SET search_path = app')
        project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE a;\n")
        for _ in range(2):  # the second run finds the schema to create in
            done = run_cli("check", "--url", pg_backend.url, "--scratch-url", plain, project=project)
            assert done.returncode == 0, done.stderr
        with psycopg.connect(plain) as conn:
            assert conn.execute("SELECT nspname::text FROM pg_namespace WHERE nspname = 'app'").fetchall() == [("app",)]
            assert conn.execute("SELECT relname::text FROM pg_class WHERE relnamespace = 'app'::regnamespace"
                                ).fetchall() == []


def test_schema_from_files_leaves_a_scratch_url_empty(project, backend, scratch):
    project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "SELECT 1;\n")
    done = run_cli("schema", "--from-files", "--url", backend.url, "--scratch-url", scratch.url, project=project)
    assert done.returncode == 0, done.stderr
    assert "CREATE TABLE a" in done.stdout
    assert objects(scratch) == []


# -- the prelude ------------------------------------------------------------------------------------

ACCOUNTS = "CREATE TABLE accounts (id INTEGER PRIMARY KEY);\n"  # another tool's table
LOANS = ("CREATE TABLE loans (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts (id));\n"
         "INSERT INTO loans (id, account_id) SELECT id, id FROM accounts;\n",
         "DROP TABLE loans;\n")


def test_check_runs_the_prelude_before_the_migrations(project, backend, cli):
    project.migration("0001_loans", *LOANS)
    without = cli("check")
    assert without.returncode == 3
    assert "  - applying it failed: sql/0001_loans.sql:" in without.stdout
    prelude = project.write("prelude.sql", ACCOUNTS)
    done = cli("check", "--scratch-prelude", str(prelude))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["ok      0001_loans"]
    assert backend.tables() == set()  # the database at --url is never touched


def test_the_prelude_runs_on_a_scratch_url_and_its_objects_are_dropped_after(project, backend, scratch):
    project.migration("0001_loans", *LOANS)
    prelude = project.write("prelude.sql", ACCOUNTS if backend.dialect == "sqlite" else
                            "CREATE SCHEMA legacy;\nCREATE TABLE legacy.users (id integer);\n" + ACCOUNTS)
    for _ in range(2):
        done = run_cli("check", "--url", backend.url, "--scratch-url", scratch.url, "--scratch-prelude",
                       str(prelude), project=project)
        assert done.returncode == 0, done.stdout + done.stderr
        assert objects(scratch) == []


def test_drift_with_the_prelude_expects_what_it_creates(project, backend, cli):
    project.migration("0001_loans", *LOANS)
    backend.query(ACCOUNTS)  # made on the live database by another tool, before the migrations
    assert cli("up").returncode == 0
    without = cli("drift")
    assert without.returncode == 1  # 0001 cannot be applied on an empty scratch database
    assert error_of(without).startswith("error: sql/0001_loans.sql:")
    done = cli("drift", "--scratch-prelude", str(project.write("prelude.sql", ACCOUNTS)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("no drift: ")


def test_an_extension_the_live_database_has_is_expected_with_the_prelude(project, pg_backend, pg_cli):
    extension = pg_backend.an_extension()  # any will do
    project.migration("0001_a", "CREATE TABLE a (x INTEGER);\n", "DROP TABLE a;\n")
    pg_backend.query(f"CREATE EXTENSION {extension}")  # by the DBA, outside the migrations
    assert pg_cli("up").returncode == 0
    without = pg_cli("drift")
    assert without.returncode == 3
    assert any(line.startswith(f"  added by hand: extension {extension} ") for line in without.stdout.splitlines())
    prelude = project.write("prelude.sql", f"CREATE EXTENSION IF NOT EXISTS {extension};\n")
    done = pg_cli("drift", "--scratch-prelude", str(prelude))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_failing_prelude_is_one_error_line_with_its_file_and_line(project, backend, scratch):
    project.migration("0001_loans", *LOANS)
    prelude = project.write("prelude.sql", ACCOUNTS + "CREATE TABLE broken (id INTEGER, CHECK (nope > 0));\n")
    for scratch_url in ([], ["--scratch-url", scratch.url]):
        done = run_cli("check", "--url", backend.url, "--scratch-prelude", str(prelude), *scratch_url,
                       project=project)
        assert done.returncode == 2
        assert error_of(done).startswith(f"error: the scratch prelude failed: {prelude}:2: ")
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert objects(scratch) == []  # its first statement was rolled back with the failing one


def test_a_missing_prelude_file_is_a_configuration_error(project, backend, scratch):
    done = run_cli("drift", "--url", backend.url, "--scratch-url", scratch.url, "--scratch-prelude", "nope.sql",
                   project=project)
    assert done.returncode == 2
    assert error_of(done) == "error: the scratch prelude nope.sql: cannot read it: No such file or directory\n"


def test_a_prelude_that_is_not_text_is_refused_as_a_project_file_is(project, backend, scratch):
    prelude = project.write("prelude.sql", "CREATE TABLE a (x integer);\n\x00\n")
    done = run_cli("drift", "--url", backend.url, "--scratch-url", scratch.url, "--scratch-prelude", str(prelude),
                   project=project)
    assert done.returncode == 2
    assert error_of(done) == f"error: the scratch prelude {prelude}:2: a NUL character; is it a binary file?\n"
    assert objects(scratch) == []


# -- a clean-up that fails never hides the failure before it ---------------------------------------

def _run(body, clean) -> BaseException | None:
    async def main():
        async with _cleaned_up(clean, "the scratch database x"):
            await body()
    try:
        asyncio.run(main())
    except BaseException as exc:  # noqa: BLE001 (the test looks at what came out)
        return exc
    return None


async def _fails_to_clean():
    raise ConfigError("table a could not be dropped")


async def _cleans():
    pass


async def _migration_fails():
    raise ScriptError("sql/0002_b.sql", 2, 'relation "a" already exists')


async def _succeeds():
    pass


def test_a_failed_clean_up_is_a_note_on_the_failure_before_it():
    raised = _run(_migration_fails, _fails_to_clean)
    assert isinstance(raised, ScriptError)
    assert raised.lines() == ['sql/0002_b.sql:2: relation "a" already exists',
                              "note: the scratch database x could not be cleaned up after this failure: "
                              "table a could not be dropped"]


def test_a_failed_clean_up_after_a_success_is_the_error():
    raised = _run(_succeeds, _fails_to_clean)
    assert isinstance(raised, ConfigError)
    assert raised.lines() == ["the scratch database x could not be cleaned up: table a could not be dropped"]


def test_the_clean_up_runs_after_a_failure_and_after_a_success():
    cleaned = []

    async def clean():
        cleaned.append(True)
    assert isinstance(_run(_migration_fails, clean), ScriptError)
    assert _run(_succeeds, clean) is None
    assert cleaned == [True, True]
    assert _run(_succeeds, _cleans) is None
