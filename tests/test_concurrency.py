"""Runners at once, as real processes: nothing is applied twice, and a lock wait is bounded."""
import psycopg

from conftest import run_cli, start_cli


def counting_project(project, migrations=6):
    project.migration("0001_counter", "CREATE TABLE counter (version INTEGER NOT NULL);", "DROP TABLE counter;")
    for n in range(2, migrations + 1):
        # Some real work, then a row that would appear twice if the migration ran twice.
        project.migration(f"{n:04d}_step", f"""
            CREATE TABLE work_{n} (i INTEGER);
            INSERT INTO work_{n} WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000)
                SELECT i FROM c;
            INSERT INTO counter VALUES ({n});
            """, f"DROP TABLE work_{n}; DELETE FROM counter WHERE version = {n};")


def run_at_once(backend, project, count):
    processes = [start_cli("up", backend=backend, project=project) for _ in range(count)]
    return [(p.wait(timeout=180), *p.communicate()) for p in processes]


def test_two_runners_at_once_apply_each_migration_once(project, backend):
    counting_project(project)
    results = run_at_once(backend, project, 2)
    assert [code for code, _, _ in results] == [0, 0], results
    assert sorted(backend.query("SELECT version FROM counter")) == [(n,) for n in range(2, 7)]
    assert [v for v, _, _ in backend.journal()] == list(range(1, 7))
    assert sorted(v for a, v, _ in backend.events() if a == "up") == list(range(1, 7))


def test_six_runners_at_once_on_postgres(project, pg_backend):
    counting_project(project, migrations=8)
    results = run_at_once(pg_backend, project, 6)
    assert [code for code, _, _ in results] == [0] * 6, results
    assert sorted(pg_backend.query("SELECT version FROM counter")) == [(n,) for n in range(2, 9)]
    assert len([e for e in pg_backend.events() if e[0] == "up"]) == 8


def test_sqlite_write_lock_held_by_another_process_runs_out_with_exit_4(project, sqlite_backend):
    import sqlite3
    counting_project(project, migrations=2)
    assert run_cli("up", "--to", "1", backend=sqlite_backend, project=project).returncode == 0
    other = sqlite3.connect(sqlite_backend.sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # an application holding SQLite's write lock
    try:
        result = run_cli("up", "--lock-wait", "0.3", backend=sqlite_backend, project=project)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.returncode == 4 and result.stderr.startswith("error: could not take SQLite's write lock")
    assert [v for v, _, _ in sqlite_backend.journal()] == [1]


def test_lock_wait_runs_out_with_exit_4_on_postgres(project, pg_backend):
    counting_project(project, migrations=2)
    with psycopg.connect(pg_backend.plain_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtextextended(current_database() || '.' || current_schema() "
                      "|| '.schema_journal', 0))")
        result = run_cli("up", "--lock-wait", "0.3", backend=pg_backend, project=project)
    assert result.returncode == 4
    assert "another runner holds the advisory lock" in result.stderr
    assert "the lock is held by pid " in result.stderr
    assert pg_backend.journal() == []
