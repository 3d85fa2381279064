"""`runner.py fleet`: one command on many real databases (SQLite files and PostgreSQL databases)."""
from __future__ import annotations

import json
import os
import pty
import signal
import sqlite3
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from conftest import RUNNER, Backend, Project, _with_database, run_cli, runner_env, wait_until
from migrator import Migrator, Stopped

MIGRATIONS = [
    ("0001_accounts", "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL);",
     "DROP TABLE accounts;"),
    ("0002_loans", "CREATE TABLE loans (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));",
     "DROP TABLE loans;"),
    ("0003_loans_by_account", "CREATE INDEX loans_by_account ON loans (account_id);",
     "DROP INDEX loans_by_account;"),
]


@pytest.fixture
def lending(project: Project) -> Project:
    for stem, up, down in MIGRATIONS:
        project.migration(stem, up, down)
    return project


@pytest.fixture
def pg_databases(pg_admin_url):
    """make(n): n fresh, empty PostgreSQL databases (plain postgresql:// URLs), dropped afterwards."""
    created: list[str] = []

    def make(n: int) -> list[str]:
        names = [f"runner_fleet_{uuid.uuid4().hex[:12]}" for _ in range(n)]
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        return [_with_database(pg_admin_url, name) for name in names]

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_tenants(folder: Path, n: int, prefix: str = "s") -> dict[str, Backend]:
    folder.mkdir(parents=True, exist_ok=True)
    return {f"{prefix}{i:02d}": Backend("sqlite", f"file:{folder / f'{prefix}{i:02d}.db'}",
                                        sqlite_path=folder / f"{prefix}{i:02d}.db") for i in range(n)}


def pg_tenants(urls: list[str], prefix: str = "p") -> dict[str, Backend]:
    """Every other database through psycopg, the rest through asyncpg."""
    tenants = {}
    for i, plain in enumerate(urls):
        driver, scheme = ("psycopg", "postgresql+psycopg") if i % 2 else ("asyncpg", "postgresql")
        tenants[f"{prefix}{i:02d}"] = Backend(driver, plain.replace("postgresql://", f"{scheme}://", 1),
                                              plain_url=plain)
    return tenants


def write_targets(project: Project, tenants: dict[str, Backend], extra: str = "") -> Path:
    lines = ["# the fleet under test"] + [f"{name} {b.url}" for name, b in tenants.items()]
    return project.write("targets.txt", "\n".join(lines) + "\n" + extra)


def fleet(project: Project, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run_cli("fleet", *args, "--targets=targets.txt", project=project, **kwargs)


def fleet_json(project: Project, *args: str, **kwargs) -> tuple[subprocess.CompletedProcess, dict]:
    done = fleet(project, *args, "--json", **kwargs)
    assert done.stdout, done.stderr
    return done, {r["target"]: r for r in json.loads(done.stdout)["results"]}


def versions(b: Backend) -> list[int]:
    return [v for v, _, _ in b.journal()]


def test_fleet_up_migrates_forty_sqlite_files_and_ten_postgres_databases(lending, tmp_path, pg_databases):
    tenants = {**sqlite_tenants(tmp_path / "tenants", 40), **pg_tenants(pg_databases(10))}
    write_targets(lending, tenants)

    done, results = fleet_json(lending, "up")

    assert done.returncode == 0, done.stderr
    assert {name: (r["result"], r["version"]) for name, r in results.items()} == \
        {name: ("ok", 3) for name in tenants}
    for b in tenants.values():
        assert versions(b) == [1, 2, 3]
        assert {"accounts", "loans"} <= b.tables()
    # plain progress, one line per target, when stderr is not a terminal
    assert len([line for line in done.stderr.splitlines() if line.startswith("[")]) == 50

    again, results = fleet_json(lending, "status")
    assert again.returncode == 0
    assert {r["status"]["current"] for r in results.values()} == {3}


def test_fleet_down_status_verify_and_seed_run_on_every_target(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 5)
    write_targets(lending, tenants)
    assert fleet(lending, "up").returncode == 0

    down = fleet(lending, "down", "--to=1")
    assert down.returncode == 0, down.stderr
    assert all(versions(b) == [1] for b in tenants.values())
    assert "ROLLED BACK" in down.stdout and "0003, 0002" in down.stdout

    assert fleet(lending, "down", "1").returncode == 0
    assert all(versions(b) == [] for b in tenants.values())

    strict = fleet(lending, "verify", "--strict")
    assert strict.returncode == 1
    assert "pending: 0001_accounts is not applied yet (+2 more)" in strict.stdout

    assert fleet(lending, "up").returncode == 0
    assert fleet(lending, "verify", "--strict").returncode == 0
    lending.write("seeds/0001_demo.sql", "INSERT INTO accounts (id, name) VALUES (1, 'Ada');")
    seeded = fleet(lending, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert all(b.query("SELECT name FROM accounts") == [("Ada",)] for b in tenants.values())


def test_a_failing_target_is_reported_with_its_file_and_error_while_the_others_succeed(lending, tmp_path,
                                                                                          pg_databases):
    tenants = {**sqlite_tenants(tmp_path / "tenants", 8), **pg_tenants(pg_databases(2))}
    broken = tenants["p01"]
    broken.query("CREATE TABLE loans (id integer)")  # so 0002_loans fails on this one target
    write_targets(lending, tenants)

    done, results = fleet_json(lending, "up", "--continue-on-error", "--parallel=3")

    assert done.returncode == 1
    failed = results.pop("p01")
    assert failed["result"] == "failed"
    assert failed["version"] == 1
    assert (failed["error"]["file"], failed["error"]["line"]) == ("sql/0002_loans.sql", 1)
    assert 'relation "loans" already exists' in failed["error"]["message"]
    assert versions(broken) == [1]
    assert {r["result"] for r in results.values()} == {"ok"}
    assert 'p01: failed in' in done.stderr and 'sql/0002_loans.sql:1: relation "loans" already exists' in done.stderr


def test_without_continue_on_error_the_first_failure_starts_no_other_target(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 10)
    tenants["s02"].query("CREATE TABLE loans (id integer)")
    write_targets(lending, tenants)

    done = fleet(lending, "up", "--parallel=1")

    assert done.returncode == 1
    assert [versions(tenants[n]) for n in ("s00", "s01", "s02")] == [[1, 2, 3], [1, 2, 3], [1]]
    for name in list(tenants)[3:]:
        assert not tenants[name].sqlite_path.exists(), f"{name} was touched"
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:-1]}
    assert rows == {"s00": "ok", "s01": "ok", "s02": "failed", **{n: "skipped" for n in list(tenants)[3:]}}
    assert "sql/0002_loans.sql:1: table loans already exists" in done.stdout


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_target_fails_alone_and_its_password_never_shows(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 3)
    write_targets(lending, tenants, f"gone postgresql://app:${{GONE_PASSWORD}}@127.0.0.1:{_closed_port()}/gone\n")

    done, results = fleet_json(lending, "up", "--continue-on-error",
                               env=runner_env(GONE_PASSWORD="hunter2-secret"))

    assert done.returncode == 1
    assert results["gone"]["result"] == "failed"
    assert results["gone"]["error"]["message"].startswith("cannot connect to postgresql://app:***@127.0.0.1")
    assert all(results[name]["result"] == "ok" for name in tenants)
    assert "hunter2" not in done.stdout + done.stderr


def test_a_failing_canary_leaves_every_other_target_untouched(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 12)
    tenants["s01"].query("CREATE TABLE loans (id integer)")
    write_targets(lending, tenants)

    done = fleet(lending, "up", "--canary=3", "--continue-on-error")

    assert done.returncode == 1
    assert versions(tenants["s00"]) == [1, 2, 3]
    for name in list(tenants)[2:]:
        assert not tenants[name].sqlite_path.exists(), f"{name} was touched"


def test_a_lock_wait_running_out_exits_4(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 3)
    write_targets(lending, tenants)
    other = sqlite3.connect(tenants["s01"].sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # SQLite's write lock, as another runner's step holds it
    try:
        done, results = fleet_json(lending, "up", "--continue-on-error", "--lock-wait=0.2")
    finally:
        other.close()

    assert done.returncode == 4
    assert "could not take SQLite's write lock" in results["s01"]["error"]["message"]
    assert results["s00"]["result"] == results["s02"]["result"] == "ok"


def test_two_fleet_runs_at_once_apply_nothing_twice(lending, tmp_path, pg_databases):
    tenants = {**sqlite_tenants(tmp_path / "tenants", 20), **pg_tenants(pg_databases(4))}
    write_targets(lending, tenants)
    command = [sys.executable, str(RUNNER), "fleet", "up", "--targets=targets.txt", "--parallel=4"]

    runs = [subprocess.Popen(command, cwd=lending.root, env=runner_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    for name, b in tenants.items():
        ups = [version for action, version, success in b.events() if action == "up" and success]
        assert ups == [1, 2, 3], name


SLOW = [(f"000{i}_slow_{i}", f"CREATE TABLE a{i} (id int);\nSELECT pg_sleep(0.3);\nCREATE TABLE b{i} (id int);",
         f"DROP TABLE b{i};\nDROP TABLE a{i};") for i in range(1, 5)]


def start_slow_fleet(project, pg_databases, targets: int, parallel: int):
    """`fleet up` of the SLOW migrations on fresh databases, running in the background."""
    for stem, up, down in SLOW:
        project.migration(stem, up, down)
    tenants = pg_tenants(pg_databases(targets))
    write_targets(project, tenants)
    run = subprocess.Popen([sys.executable, str(RUNNER), "fleet", "up", "--targets=targets.txt",
                            f"--parallel={parallel}"], cwd=project.root, env=runner_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return run, tenants


def assert_each_migration_whole(tenants) -> dict[str, list[int]]:
    """Each SLOW migration entirely there, with its journal row, or not at all; the versions applied."""
    applied_by = {}
    for name, b in tenants.items():
        applied, tables = versions(b), b.tables()
        assert applied == list(range(1, len(applied) + 1)), name
        for i in range(1, len(SLOW) + 1):
            assert (f"a{i}" in tables) == (f"b{i}" in tables) == (i in applied), (name, i, tables)
        applied_by[name] = applied
    return applied_by


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_leaves_every_target_before_or_after_each_migration(project, pg_databases, signum):
    run, tenants = start_slow_fleet(project, pg_databases, targets=6, parallel=3)
    wait_until(lambda: any(versions(b) for b in tenants.values()), what="a first migration committed")
    run.send_signal(signum)
    out, err = run.communicate(timeout=60)

    assert run.returncode == 128 + signum, err
    assert f"received {signum.name}" in err
    assert f"(stopped by {signum.name})" in out
    results = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:-1]}
    assert set(results) == set(tenants)
    assert "stopped" in results.values() and "skipped" in results.values()
    assert_each_migration_whole(tenants)


def test_a_second_signal_stops_at_once_and_still_leaves_no_migration_half_applied(project, pg_databases):
    run, tenants = start_slow_fleet(project, pg_databases, targets=4, parallel=2)
    said: list[str] = []
    threading.Thread(target=lambda: said.extend(run.stderr), daemon=True).start()
    wait_until(lambda: any(versions(b) for b in tenants.values()), what="a first migration committed")
    run.send_signal(signal.SIGTERM)
    wait_until(lambda: any("received SIGTERM" in line for line in said), what="the first signal handled")
    run.send_signal(signal.SIGTERM)
    run.wait(timeout=60)

    assert run.returncode == -signal.SIGTERM  # killed by the second one, without waiting
    for name, applied in assert_each_migration_whole(tenants).items():
        assert len(applied) < len(SLOW), name


def test_a_bad_targets_line_is_a_configuration_error_and_touches_nothing(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 2)
    write_targets(lending, tenants, "third file:c.db surplus\n")

    done = fleet(lending, "up")

    assert done.returncode == 2
    assert done.stderr.strip() == "error: targets.txt:4: expected `name url`, found 3 field(s)"
    assert not any(b.sqlite_path.exists() for b in tenants.values())


@pytest.mark.parametrize("args, says", [
    (["--parallel=0"], "error: --parallel must be a whole number of at least 1, not '0'"),
    (["--canary=some"], "error: --canary must be a whole number of at least 0, not 'some'"),
    (["--url=file:x.db"], "error: fleet takes its databases from --targets; --url does not apply"),
])
def test_bad_fleet_options_are_configuration_errors(lending, tmp_path, args, says):
    write_targets(lending, sqlite_tenants(tmp_path / "tenants", 1))
    done = fleet(lending, "up", *args)
    assert (done.returncode, done.stderr.strip()) == (2, says)


def test_a_live_progress_bar_is_drawn_when_stderr_is_a_terminal(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 4)
    write_targets(lending, tenants)
    master, child = pty.openpty()
    drawn: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, drawn), daemon=True)
    reader.start()
    run = subprocess.run([sys.executable, str(RUNNER), "fleet", "up", "--targets=targets.txt"], cwd=lending.root,
                         env=runner_env(TERM="xterm", COLUMNS="100"), stdout=subprocess.PIPE, stderr=child,
                         text=True, timeout=60)
    os.close(child)
    reader.join(timeout=10)

    assert run.returncode == 0
    assert "4/4" in b"".join(drawn).decode("utf-8", "replace")
    assert len(run.stdout.splitlines()) == 6  # header, 4 targets, summary: the table is unchanged


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        into.append(chunk)


# -- the engine's stop event, on every backend ----------------------------------------------------

async def test_a_stop_event_ends_a_run_between_migrations_never_inside_one(backend, lending):
    import asyncio

    stop = asyncio.Event()
    async with Migrator.connect(backend.url, lending.root, stop=stop) as m:
        apply = m.steps.migration

        async def apply_then_stop(migration, **how):  # the stop comes while the first migration is done
            result = await apply(migration, **how)
            stop.set()
            return result

        m.steps.migration = apply_then_stop
        with pytest.raises(Stopped) as caught:
            await m.up()
    assert [s.version for s in caught.value.done] == [1]
    assert "stopped before 0002_loans" in caught.value.message
    assert versions(backend) == [1]
    assert "loans" not in backend.tables()


def test_broken_migration_files_are_refused_before_any_target_is_touched(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 2)
    write_targets(lending, tenants)
    lending.write("sql/0003_duplicate.sql", "SELECT 1;")

    done = fleet(lending, "up")

    assert done.returncode == 3
    assert done.stderr.startswith("error: the migration files have problems; no database was touched:")
    assert not any(b.sqlite_path.exists() for b in tenants.values())


def test_the_documented_fleet_example_runs_as_written(tmp_path):
    import re
    import shutil

    from conftest import ROOT

    page = (ROOT / "docs" / "fleet.md").read_text(encoding="utf-8")
    script = re.search(r"```sh\n(.*?)```", page, re.S)[1]
    for folder in ("sql", "rollbacks", "seeds"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    script = script.replace(".venv/bin/python runner.py", f"{sys.executable} {RUNNER}")

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=runner_env(),
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "fleet up: 3 target(s)" in done.stdout and "fleet status: 3 target(s)" in done.stdout
    assert sorted(p.name for p in (tmp_path / "tenants").iterdir()) == ["acme.db", "globex.db", "initech.db"]


def test_the_run_log_gets_one_line_per_target(lending, tmp_path):
    tenants = sqlite_tenants(tmp_path / "tenants", 3)
    write_targets(lending, tenants)
    log = tmp_path / "runs.jsonl"

    done = fleet(lending, "up", f"--log-file={log}")

    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "target", "target", "target", "end"]
    assert events[0]["command"] == "fleet up"
    assert sorted((e["target"], e["result"], e["version"]) for e in events[1:4]) == \
        [(name, "ok", 3) for name in sorted(tenants)]
    assert events[-1]["exit_status"] == 0
