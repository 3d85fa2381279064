"""SQLite's side of `backup` and `restore`: the online backup API, in a thread a stop reaches.

The backup API copies a consistent snapshot page by page through SQLite's own locking (never a
file copy under a live database). It runs in a worker thread, which asyncio cannot cancel: so
the copy goes in steps of a few MB and looks at a stop event between them, and every wait for a
lock is cut into short slices for the same reason. A copy stopped half-way is rolled back in its
target, so a stopped restore leaves the live database as it was.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from .errors import BackupFailed, ConfigError, LockTimeout

PAGES_PER_STEP = 1024  # between two steps of the backup API, a stop is noticed: a few MB
BUSY_SLICE = 0.1  # seconds SQLite's busy handler waits for a lock before we look at the clock and for a stop


class Stopped(Exception):
    """Raised inside a copy's thread when the runner has been asked to stop."""


class _Busy(Exception):
    """Raised inside a copy's thread when a file stayed locked longer than allowed; args: its path."""


async def in_thread(work: Callable, *args):
    """`work(*args, stop)` in a thread. If this task is cancelled (a signal), `stop` is set and the
    thread awaited: either it stops at its next step (raising Stopped) and the cancellation goes
    on, or it had finished, and its result stands."""
    stop = threading.Event()
    done = asyncio.get_running_loop().run_in_executor(None, work, *args, stop)
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError as cancelled:
        stop.set()
        try:
            return await done
        except Stopped:
            raise cancelled from None


def check_backup(path: Path) -> None:
    """Refuse a backup file `PRAGMA quick_check` finds damaged (before anything is restored)."""
    try:
        problems = _quick_check(path, threading.Event())
    except sqlite3.Error as exc:
        raise ConfigError(f"{path} is not a readable SQLite database: {exc}") from None
    if problems:
        raise ConfigError(f"{path} is damaged ({_first(problems)}); refusing to restore from it")


def backup(source: Path, copy: Path, timeout: float, stop: threading.Event) -> None:
    """The copy, then a check of it: a damaged database is copied page for page, damage included,
    and `restore` would refuse the result. The caller removes the copy on error."""
    copy_into(source, copy, timeout, stop)
    try:
        problems = _quick_check(copy, stop)
    except sqlite3.Error as exc:
        raise BackupFailed(f"{source} is damaged ({exc}); no backup was written") from None
    if problems:
        raise BackupFailed(f"{source} is damaged ({_first(problems)}); no backup was written")


def copy_into(source: Path, target: Path, timeout: float, stop: threading.Event) -> None:
    """Copy `source` into `target` under one read transaction of the source: a consistent
    snapshot while others write. Locks are waited for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    try:
        src = _read_only(source, BUSY_SLICE)
        try:
            _begin_read(src, deadline, stop, source)
            dst = sqlite3.connect(target, timeout=BUSY_SLICE)
            try:
                def progress(status: int, remaining: int, total: int) -> None:
                    if status == sqlite3.SQLITE_DONE:  # the last step has committed: done, stop or not
                        return
                    if stop.is_set():
                        raise Stopped
                    if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
                        raise _Busy(target)

                src.backup(dst, pages=PAGES_PER_STEP, progress=progress, sleep=BUSY_SLICE)
            finally:
                dst.close()
        finally:
            src.close()
    except _Busy as busy:
        raise LockTimeout(f"{busy.args[0]} stayed locked for more than {timeout:g}s (another process is "
                          "writing; raise --lock-wait)") from None
    except sqlite3.Error as exc:
        if "malformed" in str(exc):
            raise BackupFailed(f"{source} is damaged ({exc}); nothing was copied") from None
        raise BackupFailed(f"SQLite's backup API could not copy {source}: {exc}") from None


def _read_only(path: Path, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _begin_read(conn: sqlite3.Connection, deadline: float, stop: threading.Event, path: Path) -> None:
    """Open the read transaction the whole copy runs under. SQLite's busy handler retries every
    few ms within each slice (the backup API's own retry loop sleeps 250 ms between tries, which a
    busy writer starves); between slices, the clock and a stop are looked at."""
    while True:
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower():
                raise
            conn.rollback()
        if stop.is_set():
            raise Stopped
        if time.monotonic() > deadline:
            raise _Busy(path)


def _quick_check(path: Path, stop: threading.Event) -> list[str]:
    """What `PRAGMA quick_check` finds wrong with the file (nothing: []); stoppable."""
    conn = _read_only(path, 5)
    try:
        conn.set_progress_handler(stop.is_set, 10_000)  # true: SQLite abandons the check ("interrupted")
        try:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.OperationalError:
            if stop.is_set():
                raise Stopped from None
            raise
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def _first(problems: list[str]) -> str:
    """The first problem quick_check names, and how many more: one line."""
    lines = [line for row in problems for line in row.splitlines() if line and not line.startswith("***")]
    lines = lines or ["quick_check failed"]
    return lines[0] + (f", and {len(lines) - 1} more problem(s)" if len(lines) > 1 else "")
