"""`status` reports every version's state, exits 0 whatever it finds, and never writes."""
import json
import sqlite3
import subprocess
import sys

from conftest import RUNNER, runner_env


def setup_states(project, cli):
    for n, name in ((1, "a"), (2, "b"), (3, "c"), (4, "d")):
        project.migration(f"000{n}_{name}", f"CREATE TABLE {name} (id INTEGER);", f"DROP TABLE {name};")
    assert cli("up", "--to", "3").returncode == 0
    project.write("sql/0002_b.sql", "CREATE TABLE b (id INTEGER, changed INTEGER);")
    (project.root / "sql/0003_c.sql").unlink()


def test_status_json_shows_every_state(project, backend, cli):
    setup_states(project, cli)
    result = cli("status", "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["dialect"] == backend.dialect
    assert doc["current"] == 3
    assert [(m["version"], m["name"], m["state"]) for m in doc["migrations"]] == [
        (1, "a", "applied"), (2, "b", "modified"), (3, "c", "missing"), (4, "d", "pending")]
    first = doc["migrations"][0]
    assert set(first) == {"version", "name", "state", "applied_at", "duration_ms", "checksum", "out_of_order",
                          "checks", "changes"}
    assert first["changes"] is None and "+" in doc["migrations"][1]["changes"]  # the modified one: a diff
    assert first["applied_at"].endswith("Z") and "T" in first["applied_at"]
    assert isinstance(first["duration_ms"], int) and len(first["checksum"]) == 64
    assert doc["migrations"][3]["applied_at"] is None


def test_status_table_makes_problems_stand_out(project, backend, cli):
    setup_states(project, cli)
    result = cli("status")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("0002") and "MODIFIED" in line for line in lines)
    assert any(line.startswith("0003") and "MISSING" in line for line in lines)
    assert "current version: 0003" in result.stdout


def test_status_never_creates_the_database_or_the_journal(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    result = cli("status", "--json")
    assert json.loads(result.stdout)["migrations"][0]["state"] == "pending"
    assert backend.tables() == set()
    if backend.sqlite_path:
        assert not backend.sqlite_path.exists()


def test_status_hides_the_password(project, pg_backend):
    url = pg_backend.url.replace("postgres@", "postgres:sup3rsecret@", 1)  # trust auth ignores it
    result = subprocess.run([sys.executable, str(RUNNER), "status", "--url", url], cwd=project.root,
                            env=runner_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "sup3rsecret" not in result.stdout + result.stderr
    assert "postgres:***@" in result.stdout


def test_a_reader_that_stops_early_gets_no_traceback(project, sqlite_backend):
    """`runner status | head -1` on a project whose status is more than a pipe holds (64 KiB)."""
    for n in range(1, 701):
        project.migration(f"{n:04d}_a_migration_with_a_rather_long_name_{n}", "SELECT 1;\n", "SELECT 1;\n")
    sqlite3.connect(sqlite_backend.sqlite_path).close()
    status = subprocess.Popen([sys.executable, str(RUNNER), "status", "--url", sqlite_backend.url],
                              cwd=project.root, env=runner_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = status.stdout.readline()
    status.stdout.close()  # what `head -1` does after its line
    stderr = status.stderr.read().decode()
    assert status.wait(timeout=60) == 0, stderr
    assert first.startswith(b"database: ")
    assert stderr == ""
