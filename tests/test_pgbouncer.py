"""Through a real PgBouncer in transaction pooling mode, as production deploys often run.

Nothing the runner relies on may outlive one transaction there: a session lock would stay with
whichever server connection the pooler gave it, a named prepared statement would meet another
client's, a SET would leak to the next client. Both drivers; six runners on three server
connections.
"""
from __future__ import annotations

import json
import subprocess

import psycopg

from conftest import JOURNAL_TABLES, error_of, run_cli, start_cli


def ordered_project(project, migrations: int) -> None:
    """Each migration appends its version to `applied_order`: applied twice or out of order shows."""
    project.migration("0001_order", "CREATE TABLE applied_order (id bigserial PRIMARY KEY, version integer "
                      "NOT NULL UNIQUE);\nINSERT INTO applied_order (version) VALUES (1);\n",
                      "DROP TABLE applied_order;\n")
    for n in range(2, migrations + 1):
        project.migration(f"{n:04d}_step", f"CREATE TABLE t{n} (id integer);\n"
                          f"INSERT INTO applied_order (version) VALUES ({n});\n",
                          f"DROP TABLE t{n};\nDELETE FROM applied_order WHERE version = {n};\n")


def advisory_locks(plain_url: str) -> int:
    """Advisory locks held in this test's database (the server is shared with other tests)."""
    with psycopg.connect(plain_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()[0]


def test_six_runners_at_once_through_the_pooler_apply_each_migration_once_in_order(project, pooled_backend):
    ordered_project(project, 50)
    runners = [start_cli("up", "--lock-wait", "120", backend=pooled_backend, project=project) for _ in range(6)]
    outputs = [(r.wait(timeout=300), *r.communicate()) for r in runners]

    assert [code for code, _, _ in outputs] == [0] * 6, outputs
    assert pooled_backend.query("SELECT version FROM applied_order ORDER BY id") == [(n,) for n in range(1, 51)]
    assert [v for v, _, failed in pooled_backend.journal() if not failed] == list(range(1, 51))
    assert sorted(v for a, v, ok in pooled_backend.events() if a == "up" and ok) == list(range(1, 51))
    assert sum(int(out.split("applied ")[1].split()[0]) for _, out, _ in outputs if "applied " in out) == 50
    assert advisory_locks(pooled_backend.plain_url) == 0  # nothing left held behind the pooler
    direct = run_cli("up", "--url", pooled_backend.plain_url, project=project)
    assert direct.returncode == 0 and "nothing to apply" in direct.stdout


def test_the_everyday_commands_work_through_the_pooler(project, pooled_backend):
    ordered_project(project, 3)
    project.write("seeds/0001_numbers.sql", """
        INSERT INTO applied_order (version) SELECT 1000 + generate_series(1, (SELECT scale FROM runner_seed));
        """)

    def cli(*args: str) -> subprocess.CompletedProcess:
        result = run_cli(*args, "--url", pooled_backend.url, project=project)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    assert cli("up", "--test").returncode == 0
    assert pooled_backend.journal() == []
    assert cli("up", "--to", "1").returncode == 0
    assert cli("up", "--single-transaction").returncode == 0
    assert [v for v, _, _ in pooled_backend.journal()] == [1, 2, 3]
    assert cli("seed", "--scale", "7").returncode == 0
    assert pooled_backend.query("SELECT count(*) FROM applied_order WHERE version > 1000") == [(7,)]
    states = json.loads(cli("status", "--json").stdout)
    assert [m["state"] for m in states["migrations"]] == ["applied"] * 3
    assert cli("verify", "--strict").returncode == 0
    assert cli("redo").returncode == 0
    assert cli("down", "2").returncode == 0
    assert [v for v, _, _ in pooled_backend.journal()] == [1]
    project.write("sql/0001_order.sql", "-- edited\n" + (project.root / "sql/0001_order.sql").read_text())
    assert cli("verify").returncode == 3
    assert cli("repair").returncode == 0
    assert cli("verify").returncode == 0
    assert cli("drift").returncode == 0
    assert cli("check").returncode == 0
    assert cli("down", "--all").returncode == 0
    pooled_backend.query(f"DROP TABLE {', '.join(sorted(JOURNAL_TABLES))}")
    pooled_backend.query("CREATE TABLE applied_order (id bigserial PRIMARY KEY, version integer NOT NULL UNIQUE)")
    assert cli("baseline", "1").returncode == 0
    assert cli("up").returncode == 0
    assert [v for v, _, _ in pooled_backend.journal()] == [1, 2, 3]
    assert advisory_locks(pooled_backend.plain_url) == 0


def test_a_lock_wait_through_the_pooler_ends_with_exit_4_and_leaves_nothing_held(project, pooled_backend):
    ordered_project(project, 2)
    with psycopg.connect(pooled_backend.plain_url) as other:  # a transaction holding the runner's lock
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended(current_database() || '.' || "
                      "current_schema() || '.schema_journal', 0))")
        result = run_cli("up", "--url", pooled_backend.url, "--lock-wait", "0.5", project=project)
        other.rollback()
    assert result.returncode == 4, result.stderr
    assert error_of(result).startswith("error: another runner holds the advisory lock")
    assert advisory_locks(pooled_backend.plain_url) == 0
    assert run_cli("up", "--url", pooled_backend.url, project=project).returncode == 0
