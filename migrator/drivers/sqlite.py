"""SQLite through aiosqlite.

Statements run one by one (never `executescript`, which COMMITs whatever is open) inside
`BEGIN IMMEDIATE`, which takes SQLite's write lock at once so two runners queue up there.
Foreign-key enforcement is off, so the table-recreation strategy cannot cascade-delete child
rows; `PRAGMA foreign_key_check` must come back empty before a commit instead (for a step, on
the tables it can have broken: sqlite_fk.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

import aiosqlite

from ..errors import ConfigError, LockTimeout, StatementError
from ..split import Statement, split_sqlite
from ..url import DatabaseURL
from . import StepSQL
from .sqlite_fk import ForeignKeyCheck

try:
    import fcntl
except ImportError:  # Windows: only SQLite's own locking (BEGIN IMMEDIATE) applies
    fcntl = None


def _is_busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


class SqliteDriver:
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: str | None, lock_wait: float):
        self.conn = conn
        self.path = path  # None: an in-memory stand-in for a file that does not exist yet
        self.lock_wait = lock_wait
        self._lock_fd: int | None = None
        self._foreign_keys = ForeignKeyCheck()

    @classmethod
    async def connect(cls, url: DatabaseURL, *, lock_wait: float, create: bool = True,
                      read_only: bool = False) -> "SqliteDriver":
        path = url.target
        if not create and not os.path.exists(path):
            # Read-only commands must not create the file: an empty in-memory database
            # answers every question the same way (no journal, everything pending).
            conn = await aiosqlite.connect(":memory:", isolation_level=None)
            path = None
        else:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise ConfigError(f"cannot open SQLite database {path}: folder {folder} does not exist")
            # read_only: a URI with mode=ro, so SQLite itself refuses every write to the file
            target, uri = (Path(path).resolve().as_uri() + "?mode=ro", True) if read_only else (path, False)
            try:
                conn = await aiosqlite.connect(target, timeout=lock_wait, isolation_level=None, uri=uri)
                await conn.execute("PRAGMA foreign_keys = OFF")
            except sqlite3.Error as exc:
                raise ConfigError(f"cannot open SQLite database {path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        return cls(conn, path, lock_wait)

    # -- running SQL -------------------------------------------------------------------------

    async def execute_script(self, sql: str) -> None:
        for statement in split_sqlite(sql):
            await self._run_statement(statement)

    async def _run_statement(self, statement: Statement) -> None:
        try:
            await self.conn.execute(statement.sql)
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise LockTimeout(f"the database stayed locked for more than {self.lock_wait:g}s "
                                  "(another process is writing; raise --lock-wait)") from None
            raise StatementError(str(exc), statement.offset) from None

    async def execute(self, sql: str, params: dict | None = None) -> None:
        await self.conn.execute(sql, params or {})

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        # execute_fetchall: one hop to aiosqlite's thread (a cursor's execute, fetchall and close are three)
        return [dict(row) for row in await self.conn.execute_fetchall(sql, params or {})]

    def split(self, sql: str) -> list[Statement]:
        return split_sqlite(sql)

    # -- a whole step in one hop ---------------------------------------------------------------

    async def _in_thread(self, fn, *args):
        """fn(sqlite3_connection, *args) on aiosqlite's thread, as one hop.

        Every aiosqlite call is one hop to its thread and back (~100 µs on a small VM, as much
        as a small migration's SQL); a step's dozen statements go as one function instead.
        `_execute` is the primitive each aiosqlite method is built on; there is no public one.
        """
        return await self.conn._execute(fn, self.conn._conn, *args)

    async def run_step(self, step: StepSQL) -> int | None:
        stop = threading.Event()
        try:
            return await self._in_thread(self._step, step, time.perf_counter(), stop)
        except asyncio.CancelledError:
            # Ctrl-C or a cancelled task: the step goes on in the thread, so make it roll back there
            # (interrupt() is SQLite's one thread-safe call: it aborts the running statement).
            stop.set()
            self.conn._conn.interrupt()
            raise

    def _step(self, conn: sqlite3.Connection, step: StepSQL, started: float, stop: threading.Event) -> int | None:
        """Driver.run_step, on the connection's thread; the same statements transaction() and friends run."""
        def run(sql: str, params: dict, *, offset: int | None = None, busy: str | None = None) -> sqlite3.Cursor:
            if stop.is_set():
                raise StatementError("interrupted")
            try:
                return conn.execute(sql, params)
            except sqlite3.Error as exc:
                if _is_busy(exc):
                    raise LockTimeout(busy or f"the database stayed locked for more than {self.lock_wait:g}s "
                                              "(another process is writing; raise --lock-wait)") from None
                raise StatementError(str(exc), offset) from None

        run("BEGIN IMMEDIATE", {}, busy=f"could not take SQLite's write lock within {self.lock_wait:g}s "
                                        "(another process is writing; raise --lock-wait)")
        try:
            if step.done and run(*step.done).fetchone() is not None:
                conn.execute("ROLLBACK")
                return None
            for sql, params in step.before:
                run(sql, params)
            if step.check:
                self._foreign_keys.start(conn)  # watches which tables the script writes
            try:
                for statement in split_sqlite(step.script):
                    run(statement.sql, {}, offset=statement.offset)
            finally:
                if step.check:
                    self._foreign_keys.stop(conn)
            duration_ms = int(round((time.perf_counter() - started) * 1000))
            for sql, params in step.record(duration_ms):
                run(sql, params)
            if step.check:
                violations = self._foreign_keys.violations(conn, step.script)
                if violations:
                    raise StatementError(_describe_violations(violations))
            run("COMMIT", {})
            if step.check:
                self._foreign_keys.committed()
            return duration_ms
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def make_durable(self) -> None:
        """Every SQLite commit is synchronous already."""

    @contextlib.asynccontextmanager
    async def transaction(self, *, check: bool = True):
        try:
            await self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise LockTimeout(f"could not take SQLite's write lock within {self.lock_wait:g}s "
                                  "(another process is writing; raise --lock-wait)") from None
            raise
        try:
            yield
            if check:
                await self.check_integrity()
            await self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                await self.conn.execute("ROLLBACK")
            raise

    async def check_integrity(self) -> None:
        """Foreign keys are not enforced during migrations, so check them all before committing."""
        violations = await self.fetch("PRAGMA foreign_key_check")
        if violations:
            raise StatementError(_describe_violations(violations))

    # -- run-level lock ------------------------------------------------------------------------

    async def lock(self) -> None:
        """An exclusive flock on the database file for the whole run.

        flock and SQLite's POSIX locks are separate on Linux; the descriptor is only closed
        after the connection (closing a descriptor drops the process's POSIX locks on a file).
        """
        if self.path is None or fcntl is None:
            return
        self._lock_fd = os.open(self.path, os.O_RDONLY)
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"another runner holds the lock on {self.path}; gave up after "
                                      f"{self.lock_wait:g}s (--lock-wait)") from None
                await asyncio.sleep(0.05)

    async def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    async def close(self) -> None:
        await self.conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- used by backup and studio -------------------------------------------------------------

    @property
    def raw(self) -> aiosqlite.Connection:
        return self.conn


def _describe_violations(rows: list[dict]) -> str:
    first = rows[0]
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    return (f"FOREIGN KEY check failed: a row of table {first['table']} (rowid {first['rowid']}) "
            f"references a missing row of {first['parent']}{more}")
