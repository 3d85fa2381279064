"""PostgreSQL only: whole-file scripts, no-transaction files, server errors, lost connections."""
import json
import os
import uuid

import psycopg
import pytest

from conftest import JOURNAL_TABLES, ThrowawayCluster, error_of, run_cli, wait_until

pytestmark = pytest.mark.all_pg_versions  # server messages, error positions, no-transaction files: see tests/pg_servers.py


def test_plpgsql_function_do_block_and_trigger_run_whole(project, pg_backend, pg_cli):
    project.migration("0001_audit", """
        CREATE TABLE items (id integer PRIMARY KEY, note text);
        CREATE TABLE audit (item_id integer, note text);
        CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audit VALUES (NEW.id, 'added; by trigger');
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_item();
        DO $body$
        BEGIN
            INSERT INTO items VALUES (1, 'from a DO block; with a semicolon');
        END
        $body$;
        """, "DROP TABLE items; DROP TABLE audit; DROP FUNCTION log_item();")
    result = pg_cli("up")
    assert result.returncode == 0, result.stderr
    assert pg_backend.query("SELECT item_id, note FROM audit") == [(1, "added; by trigger")]
    assert pg_cli("down").returncode == 0
    assert pg_backend.tables() == JOURNAL_TABLES


def test_concurrently_without_the_directive_fails_cleanly(project, pg_backend, pg_cli):
    project.migration("0001_t", "CREATE TABLE t (a integer);", "DROP TABLE t;")
    project.migration("0002_idx", "-- an index\nCREATE INDEX CONCURRENTLY t_a ON t (a);", "DROP INDEX t_a;")
    result = pg_cli("up")
    assert result.returncode == 1
    assert error_of(result).startswith("error: sql/0002_idx.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a "
                                    "transaction block")
    assert [v for v, _, _ in pg_backend.journal()] == [1]


def test_concurrently_with_the_directive_runs_outside_a_transaction(project, pg_backend, pg_cli):
    project.migration("0001_t", "CREATE TABLE t (a integer, b integer);", "DROP TABLE t;")
    project.migration("0002_idx", """
        -- runner: no-transaction
        CREATE INDEX CONCURRENTLY t_a ON t (a);
        CREATE INDEX CONCURRENTLY t_b ON t (b);
        """, "-- runner: no-transaction\nDROP INDEX CONCURRENTLY t_a;\nDROP INDEX CONCURRENTLY t_b;\n")
    result = pg_cli("up")
    assert result.returncode == 0, result.stderr
    assert pg_backend.query("SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1") == \
        [("t_a",), ("t_b",)]
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", False)]
    assert pg_cli("down").returncode == 0
    assert pg_backend.query("SELECT indexname FROM pg_indexes WHERE tablename = 't'") == []


def test_no_transaction_failure_part_way_is_recorded_and_blocks_until_repair(project, pg_backend, pg_cli):
    project.migration("0001_t", "CREATE TABLE t (a integer, b integer);", "DROP TABLE t;")
    project.migration("0002_idx", """
        -- runner: no-transaction
        CREATE INDEX CONCURRENTLY t_a ON t (a);
        CREATE INDEX CONCURRENTLY t_c ON t (c);
        """, "-- runner: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_a;\n")
    project.migration("0003_more", "CREATE TABLE more (id integer);", "DROP TABLE more;")
    result = pg_cli("up")
    assert result.returncode == 1
    assert error_of(result).startswith('error: sql/0002_idx.sql:3: column "c" does not exist')
    assert "1 of 2 statements completed" in result.stderr
    assert pg_backend.journal() == [(1, "t", False), (2, "idx", True)]
    states = {m["version"]: m["state"] for m in json.loads(pg_cli("status", "--json").stdout)["migrations"]}
    assert states == {1: "applied", 2: "failed", 3: "pending"}

    blocked = pg_cli("up")
    assert blocked.returncode == 3 and "failed: 0002_idx" in blocked.stderr
    assert "more" not in pg_backend.tables()

    project.write("sql/0002_idx.sql", "-- runner: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a "
                                      "ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n")
    repaired = pg_cli("repair")
    assert repaired.returncode == 0 and "0002_idx: cleared the failed run" in repaired.stdout
    assert pg_cli("up").returncode == 0
    assert [v for v, _, failed in pg_backend.journal() if not failed] == [1, 2, 3]


def test_server_error_shows_detail_and_hint(project, pg_backend, pg_cli):
    project.migration("0001_t", """
        CREATE TABLE t (id integer PRIMARY KEY);
        INSERT INTO t VALUES (1);
        INSERT INTO t VALUES (1);
        """, "DROP TABLE t;")
    result = pg_cli("up")
    assert result.returncode == 1
    lines = error_of(result).splitlines()
    assert lines[0] == 'error: sql/0001_t.sql:3: duplicate key value violates unique constraint "t_pkey"'
    assert lines[1] == "DETAIL: Key (id)=(1) already exists."

    project.write("sql/0001_t.sql", "CREATE TABLE t (id integer);\nSELECT no_such_function(1);\n")
    hinted = error_of(pg_cli("up")).splitlines()
    assert hinted[0].startswith("error: sql/0001_t.sql:2: function no_such_function(integer) does not exist")
    assert hinted[1].startswith("HINT: No function matches")


def test_error_position_inside_a_long_statement_names_its_line(project, pg_backend, pg_cli):
    project.migration("0001_t", "CREATE TABLE t (\n  a integer,\n  b no_such_type\n);\n", "DROP TABLE t;")
    assert error_of(pg_cli("up")).startswith('error: sql/0001_t.sql:3: type "no_such_type" does not exist')


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_unreachable_server_is_a_configuration_error(project, scheme):
    result = run_cli("status", "--url", f"{scheme}://postgres:pw@127.0.0.1:1/nowhere", project=project)
    assert result.returncode == 2
    assert error_of(result).startswith("error: cannot connect to ")
    assert "pw@" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_missing_database_is_a_configuration_error(project, pg_admin_url, scheme):
    url = pg_admin_url.rsplit("/", 1)[0].replace("postgresql://", f"{scheme}://", 1) + "/no_such_db_here"
    result = run_cli("up", "--url", url, project=project)
    assert result.returncode == 2
    assert 'database "no_such_db_here" does not exist' in result.stderr


@pytest.fixture(scope="module")
def password_cluster():
    """A PostgreSQL cluster of our own that checks passwords over TCP and may be restarted."""
    cluster = ThrowawayCluster(host_auth="scram-sha-256")
    with psycopg.connect(cluster.socket_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE app LOGIN PASSWORD 'right-Pa55word' CREATEDB")
        conn.execute("CREATE DATABASE app OWNER app")
    yield cluster
    cluster.stop()


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_wrong_password_is_a_configuration_error_without_the_password(project, password_cluster, scheme):
    url = f"{scheme}://app:wrong-Secret-77@127.0.0.1:{password_cluster.port}/app"
    result = run_cli("status", "--url", url, project=project)
    assert result.returncode == 2
    assert "password authentication failed" in result.stderr
    assert "wrong-Secret-77" not in result.stderr + result.stdout


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_server_restarted_during_a_run(project, password_cluster, scheme):
    url = f"{scheme}://app:right-Pa55word@127.0.0.1:{password_cluster.port}/app"
    with psycopg.connect(password_cluster.socket_url.replace("/postgres?", "/app?"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION app")
    project.migration("0001_first", "CREATE TABLE first (id integer);", "DROP TABLE first;")
    project.migration("0002_slow", "CREATE TABLE started (id integer);\nSELECT pg_sleep(60);\n",
                      "DROP TABLE started;")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    import subprocess, sys
    from conftest import RUNNER
    runner = subprocess.Popen([sys.executable, str(RUNNER), "up", "--url", url], cwd=project.root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sleeping() -> bool:
        with psycopg.connect(password_cluster.socket_url, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' "
                                "AND pid <> pg_backend_pid()").fetchone()[0] == 1
    wait_until(sleeping, what="the slow migration to run")
    password_cluster.restart()
    _, stderr = runner.communicate(timeout=60)
    assert runner.returncode == 1, stderr
    assert stderr.splitlines()[-1].startswith("error: lost the connection to the database: ")
    assert "database: None" not in stderr  # asyncpg's lost connection carries no message: ours says what happened
    assert "Traceback" not in stderr and "right-Pa55word" not in stderr

    project.write("sql/0002_slow.sql", "CREATE TABLE started (id integer);")
    result = run_cli("up", "--url", url, project=project)
    assert result.returncode == 0, result.stderr
    status = json.loads(run_cli("status", "--json", "--url", url, project=project).stdout)
    assert [m["state"] for m in status["migrations"]] == ["applied", "applied"]


def test_backup_and_restore_as_the_database_owner_with_a_password(project, password_cluster, tmp_path):
    # The password travels to pg_dump/pg_restore/psql in PGPASSWORD (this server checks it); the
    # owner is no superuser, which PostgreSQL 15+ lets recreate the public schema it restores into.
    name = f"owned_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(password_cluster.socket_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER app")
    url = f"postgresql+psycopg://app:right-Pa55word@127.0.0.1:{password_cluster.port}/{name}"
    project.migration("0001_first", "CREATE TABLE first (id integer PRIMARY KEY);\nINSERT INTO first VALUES (1);",
                      "DROP TABLE first;")
    assert run_cli("up", "--url", url, project=project).returncode == 0
    made = run_cli("backup", "--url", url, "--out", str(tmp_path / "owned.dump"), project=project)
    assert made.returncode == 0, made.stderr
    project.migration("0002_second", "CREATE TABLE second (first_id integer REFERENCES first (id));",
                      "DROP TABLE second;")
    assert run_cli("up", "--url", url, project=project).returncode == 0

    restored = run_cli("restore", str(tmp_path / "owned.dump"), "--url", url, project=project)
    assert restored.returncode == 0, restored.stderr
    assert "database at version 0001" in restored.stdout
    assert "right-Pa55word" not in made.stdout + made.stderr + restored.stdout + restored.stderr
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall() == [
            (name,) for name in sorted({"first", *JOURNAL_TABLES})]
        assert conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'").fetchone() \
            == ("pg_database_owner",)

    wrong = run_cli("backup", "--url", url.replace("right-Pa55word", "wrong-Secret-77"), project=project)
    assert wrong.returncode == 2 and "password authentication failed" in wrong.stderr
    assert "wrong-Secret-77" not in wrong.stdout + wrong.stderr


def test_url_query_parameters_reach_the_server(project, pg_backend):
    project.migration("0001_who", "CREATE TABLE who AS SELECT current_setting('application_name') AS app;",
                      "DROP TABLE who;")
    result = run_cli("up", "--url", pg_backend.url + "?application_name=deploy-42&sslmode=prefer", project=project)
    assert result.returncode == 0, result.stderr
    assert pg_backend.query("SELECT app FROM who") == [("deploy-42",)]
