"""`backup` and `restore` stopped by a signal, or killed outright (issue 18).

Each test holds a lock the runner needs, so the backup or restore is certainly in progress when
the signal comes, and waits for an event (pg_dump's session waiting for that lock, the partial
file appearing, the runner holding the backup file open), never for a length of time. Then it
looks at what a user would find: the exit status and the one error line, the files left in the
folder, the programs still running, the database's contents.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from conftest import error_of, run_cli, start_cli, wait_until

SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
EVENT_TIMEOUT = 60  # seconds: a bound on waiting for an event, not an expected duration


# -- processes, as /proc shows them -----------------------------------------------------------------

def children(parent: int) -> dict[int, str]:
    """pid → command line of the running children of `parent`."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == parent and state != "Z":
            found[int(entry)] = command
    return found


def running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def child_running(runner: subprocess.Popen, program: str) -> int:
    """The pid of the runner's child whose command line has `program` (e.g. `pg_dump --format`:
    not the `pg_dump --version` that picks the program), once there is one."""
    found: list[int] = []

    def appeared() -> bool:
        assert runner.poll() is None, f"the runner ended first: {runner.communicate()}"
        found[:] = [pid for pid, command in children(runner.pid).items() if program in command]
        return bool(found)

    wait_until(appeared, timeout=EVENT_TIMEOUT, what=f"{program} to start")
    return found[0]


def finish(runner: subprocess.Popen) -> tuple[int, str]:
    _, err = runner.communicate(timeout=EVENT_TIMEOUT)
    return runner.returncode, err


# -- PostgreSQL --------------------------------------------------------------------------------------

@contextlib.contextmanager
def table_locked(url: str, table: str, mode: str = "ACCESS EXCLUSIVE"):
    """Another session holds `mode` on `table` until the block ends."""
    with psycopg.connect(url) as conn:
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        yield
        conn.rollback()


def session_waiting(url: str, application: str, runner: subprocess.Popen) -> None:
    """Wait until the runner's `application` (pg_dump, psql) waits for a lock in this database."""
    def waiting() -> bool:
        assert runner.poll() is None, f"the runner ended first: {runner.communicate()}"
        with psycopg.connect(url, autocommit=True) as conn:
            return bool(conn.execute("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND application_name = %s AND wait_event_type = 'Lock'",
                                     (application,)).fetchall())
    wait_until(waiting, timeout=EVENT_TIMEOUT, what=f"{application} to wait for the lock")


def sessions_of(url: str, application: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = %s", (application,)).fetchone()[0]


@pytest.fixture
def pg_table(pg_database):
    """A PostgreSQL database holding one table, `kept`, with one row."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept VALUES (42)")
    return pg_database


def rows_of(url: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT id FROM kept ORDER BY id").fetchall()


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_stops_pg_dump_and_leaves_no_file(signum, pg_table, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    with table_locked(pg_table, "kept"):
        runner = start_cli("backup", "--url", pg_table, "--out", str(out / "kept.dump"), "--lock-wait=600", cwd=tmp_path)
        pg_dump = child_running(runner, "pg_dump --format")
        session_waiting(pg_table, "pg_dump", runner)
        # in progress: written under a temporary name, nothing under the final one
        [partial] = out.iterdir()
        assert partial.name.startswith(".kept.dump.") and partial.name.endswith(".partial")

        runner.send_signal(signum)
        status, err = finish(runner)  # while the lock is still held: the signal ended it, not a timeout

    assert status == 128 + signum
    assert err == f"error: backup stopped by {signal.Signals(signum).name}; no backup was written\n"
    assert list(out.iterdir()) == []
    assert not running(pg_dump)
    wait_until(lambda: sessions_of(pg_table, "pg_dump") == 0, timeout=EVENT_TIMEOUT, what="pg_dump's session to end")


def test_pg_dump_does_not_outlive_a_runner_killed_outright(pg_table, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    with table_locked(pg_table, "kept"):
        runner = start_cli("backup", "--url", pg_table, "--out", str(out / "kept.dump"), "--lock-wait=600", cwd=tmp_path)
        pg_dump = child_running(runner, "pg_dump --format")
        session_waiting(pg_table, "pg_dump", runner)
        runner.kill()
        runner.wait()
        assert running(pg_dump)  # still waiting for the lock: nothing has told it yet
    # the lock released, pg_dump dumps, and its first write into the pipe nobody reads ends it
    wait_until(lambda: not running(pg_dump), timeout=EVENT_TIMEOUT, what="pg_dump to exit")
    assert not (out / "kept.dump").exists()
    assert all(p.name.startswith(".kept.dump.") and p.name.endswith(".partial") for p in out.iterdir())


def test_pg_dump_waits_for_a_table_lock_at_most_lock_wait(pg_table, tmp_path):
    with table_locked(pg_table, "kept"):
        result = run_cli("backup", "--url", pg_table, "--out", str(tmp_path / "kept.dump"), "--lock-wait=0.5",
                         cwd=tmp_path)
    assert result.returncode == 4
    assert error_of(result) == ("error: pg_dump waited more than --lock-wait (0.5s) to lock table public.kept: "
                                "another session holds a conflicting lock (a migration, say); no backup was written\n")
    assert list(tmp_path.glob("*kept.dump*")) == []


def _backup_then_change(url: str, folder: Path) -> Path:
    made = run_cli("backup", "--url", url, "--out", str(folder / "kept.dump"), cwd=folder)
    assert made.returncode == 0, made.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO kept VALUES (43)")
    return folder / "kept.dump"


def test_a_signal_stops_a_postgres_restore_and_changes_nothing(pg_table, tmp_path):
    dump = _backup_then_change(pg_table, tmp_path)
    with table_locked(pg_table, "kept", mode="ACCESS SHARE"):  # the restore must drop it: it waits
        runner = start_cli("restore", str(dump), "--url", pg_table, "--lock-wait=600", cwd=tmp_path)
        child_running(runner, "psql --no-psqlrc")
        session_waiting(pg_table, "psql", runner)
        programs = children(runner.pid)  # psql, and pg_restore unless it has written everything already
        runner.send_signal(signal.SIGTERM)
        status, err = finish(runner)
    assert status == 128 + signal.SIGTERM
    assert err == "error: restore stopped by SIGTERM; the database was not changed\n"
    assert not any(map(running, programs))
    assert rows_of(pg_table) == [(42,), (43,)]
    wait_until(lambda: sessions_of(pg_table, "psql") == 0, timeout=EVENT_TIMEOUT, what="psql's session to end")


def test_a_postgres_restore_killed_outright_changes_nothing(pg_table, tmp_path):
    dump = _backup_then_change(pg_table, tmp_path)
    with table_locked(pg_table, "kept", mode="ACCESS SHARE"):
        runner = start_cli("restore", str(dump), "--url", pg_table, "--lock-wait=600", cwd=tmp_path)
        child_running(runner, "psql --no-psqlrc")
        session_waiting(pg_table, "psql", runner)
        programs = children(runner.pid)
        runner.kill()
        runner.wait()
    # psql's input ends with no COMMIT in it: it rolls back and exits; pg_restore writes into a closed pipe
    wait_until(lambda: not any(map(running, programs)), timeout=EVENT_TIMEOUT, what="psql and pg_restore to exit")
    wait_until(lambda: sessions_of(pg_table, "psql") == 0, timeout=EVENT_TIMEOUT, what="psql's session to end")
    assert rows_of(pg_table) == [(42,), (43,)]


# -- SQLite ------------------------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN " + sys.argv[2])
    conn.execute("SELECT count(*) FROM kept").fetchone()  # a read lock at least, even for a deferred BEGIN
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    """)


@contextlib.contextmanager
def sqlite_locked(path: Path, how: str):
    """Another process holds a lock on the SQLite file (`BEGIN <how>`) until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), how], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        yield
        assert holder.poll() is None, "the lock was held throughout"
    finally:
        holder.communicate("\n", timeout=EVENT_TIMEOUT)


def sqlite_db(path: Path, *ids: int) -> Path:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO kept VALUES (?)", [(i,) for i in ids])
        conn.commit()
    return path


def sqlite_rows(path: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT id FROM kept ORDER BY id").fetchall()


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_stops_a_sqlite_backup_and_leaves_no_file(signum, tmp_path):
    live = sqlite_db(tmp_path / "live.db", 42)
    out = tmp_path / "backups"
    out.mkdir()
    with sqlite_locked(live, "EXCLUSIVE"):  # the backup's read waits for it
        runner = start_cli("backup", "--url", f"file:{live}", "--out", str(out / "copy.db"), "--lock-wait=600",
                       cwd=tmp_path)
        wait_until(lambda: any(out.iterdir()) or runner.poll() is not None, timeout=EVENT_TIMEOUT,
                   what="the partial file")
        [partial] = out.iterdir()
        assert partial.name.startswith(".copy.db.") and partial.name.endswith(".partial")
        runner.send_signal(signum)
        status, err = finish(runner)
    assert status == 128 + signum
    assert err == f"error: backup stopped by {signal.Signals(signum).name}; no backup was written\n"
    assert list(out.iterdir()) == []


def holds_a_lock_on(pid: int, path: Path) -> bool:
    """Whether process `pid` holds a POSIX lock (SQLite's) on the file, per /proc/locks."""
    inode = str(path.stat().st_ino)
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" not in fields and fields[4] == str(pid) and fields[5].split(":")[-1] == inode:
            return True
    return False


def has_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    return any(os.path.realpath(folder / fd) == str(path.resolve()) for fd in os.listdir(folder))


def test_a_signal_stops_a_sqlite_restore_and_changes_nothing(tmp_path):
    backup = sqlite_db(tmp_path / "backup.db", 1)
    live = sqlite_db(tmp_path / "live.db", 42, 43)
    with sqlite_locked(live, "DEFERRED"):  # a reader: the restore cannot commit while it reads
        runner = start_cli("restore", str(backup), "--url", f"file:{live}", "--lock-wait=600", cwd=tmp_path)
        # copying: connected to the live database (the checks before are done) and reading the backup
        wait_until(lambda: runner.poll() is not None or (has_open(runner.pid, live)
                                                         and holds_a_lock_on(runner.pid, backup)),
                   timeout=EVENT_TIMEOUT, what="the copy to start")
        runner.send_signal(signal.SIGTERM)
        status, err = finish(runner)
    assert status == 128 + signal.SIGTERM
    assert err == "error: restore stopped by SIGTERM; the database was not changed\n"
    assert sqlite_rows(live) == [(42,), (43,)]


def damage(path: Path) -> list[str]:
    """Zero a cell pointer of a page in the middle of the file: SQLite can still open it, and its
    quick_check names the damage. Returns that damage, as SQLite itself reports it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?, ?)", [(i, "x" * 100) for i in range(2000)])
        conn.commit()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    with open(path, "r+b") as file:
        file.seek(page_size * 4 + 8)  # page 5: its first cell pointers, past the page header
        file.write(b"\0\0\0\0")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            return [row[0] for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]


def test_backup_of_a_damaged_sqlite_database_fails_and_writes_nothing(tmp_path):
    live = sqlite_db(tmp_path / "live.db", 42)
    found = damage(live)
    assert found != ["ok"]
    out = tmp_path / "backups"
    result = run_cli("backup", "--url", f"file:{live}", "--out", str(out / "copy.db"), cwd=tmp_path)
    assert result.returncode == 1
    error = error_of(result)
    assert error.startswith(f"error: {live} is damaged (") and error.endswith("); no backup was written\n")
    assert len(error.splitlines()) == 1 and "Traceback" not in result.stderr
    assert any(line in error for row in found for line in row.splitlines() if not line.startswith("***"))
    assert not out.exists() or list(out.iterdir()) == []
