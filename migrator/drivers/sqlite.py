"""SQLite through aiosqlite.

A unit runs as one function on aiosqlite's thread (one hop, where a call per statement would
cost a hop each), inside a savepoint of a write transaction opened with `BEGIN IMMEDIATE`, which
takes SQLite's write lock at once so two runners queue up there. Units are committed together
once WINDOW has passed, and always on flush(): one disk flush for many small migrations, while a
failed unit rolls back to its own savepoint and keeps every earlier one. Statements run one by
one (never `executescript`, which COMMITs whatever is open). Foreign keys are not enforced (the
table-recreation strategy must not cascade-delete child rows); Integrity checks them instead,
on what the unit wrote (sqlite_fk.py).
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import aiosqlite

from ..errors import CheckFailed, ConfigError, DatabaseError, LockTimeout, StatementError
from ..split import split_sqlite
from ..url import DatabaseURL
from . import ELAPSED_MS, WINDOW, Check, Guard, Integrity, Outcome, Script, Sql, Unit
from .sqlite_fk import ForeignKeyCheck


class SqliteDriver:
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, lock_wait: float, path: str):
        self.conn = conn
        self.lock_wait = lock_wait
        self.path = path
        self._foreign_keys = ForeignKeyCheck()
        self._group_started: float | None = None  # when the open transaction began
        self._uncommitted = 0  # units released into the open transaction, not yet committed

    @classmethod
    async def connect(cls, url: DatabaseURL, *, lock_wait: float, create: bool = True,
                      read_only: bool = False) -> "SqliteDriver":
        path = url.target
        if not create and not _exists(path):
            # Read-only commands must not create the file: an empty in-memory database answers
            # every question the same way (no journal, everything pending).
            conn = await _open(":memory:", path)
        else:
            _refuse_unwritable(path, read_only)
            # read_only: a URI with mode=ro, so SQLite itself refuses every write to the file
            target, uri = (Path(path).resolve().as_uri() + "?mode=ro", True) if read_only else (path, False)
            conn = await _open(target, path, timeout=lock_wait, uri=uri)
            try:
                await conn.execute("PRAGMA foreign_keys = OFF")
                await conn.execute_fetchall("PRAGMA schema_version")  # reads the header: is it a database?
            except sqlite3.Error as exc:
                await conn.close()
                raise ConfigError(f"{path} is not a SQLite database ({exc})" if isinstance(exc, sqlite3.DatabaseError)
                                  and "not a database" in str(exc) else f"cannot open SQLite database {path}: {exc}"
                                  ) from None
        conn.row_factory = sqlite3.Row
        return cls(conn, lock_wait, path)

    async def fetch(self, sql: str, params=None) -> list[dict]:
        # execute_fetchall: one hop to aiosqlite's thread (a cursor's execute, fetchall and close are three)
        try:
            return [dict(row) for row in await self.conn.execute_fetchall(sql, dict(params or {}))]
        except sqlite3.Error as exc:
            raise self._error(exc, None, None) from None

    async def run_script(self, sql: str) -> None:
        await self.flush()
        for statement in split_sqlite(sql):
            try:
                await self.conn.execute(statement.sql)
            except sqlite3.Error as exc:
                raise self._error(exc, None, statement.offset) from None

    async def flush(self) -> None:
        await self._in_thread(self._commit)

    async def close(self) -> None:
        await self.conn.close()

    # -- on the connection's thread ------------------------------------------------------------

    async def _in_thread(self, fn, *args):
        """fn(sqlite3_connection, *args) on aiosqlite's thread, as one hop. `_execute` is the
        primitive each aiosqlite method is built on; there is no public one."""
        return await self.conn._execute(fn, self.conn._conn, *args)

    async def run_unit(self, unit: Unit) -> Outcome:
        stop = threading.Event()
        try:
            return await self._in_thread(self._run_unit, unit, stop)
        except asyncio.CancelledError:
            # Ctrl-C or a cancelled task: the unit goes on in the thread, so make it roll back there
            # (interrupt() is SQLite's one thread-safe call: it aborts the running statement).
            stop.set()
            self.conn._conn.interrupt()
            raise

    def _run_unit(self, conn: sqlite3.Connection, unit: Unit, stop: threading.Event) -> Outcome:
        started = time.perf_counter()
        if not conn.in_transaction:
            self._begin(conn)
            self._group_started = started
        conn.execute("SAVEPOINT runner_unit")
        self._foreign_keys.begin(conn)
        try:
            for index, op in enumerate(unit.ops):
                if stop.is_set():
                    raise StatementError("interrupted", op=index)
                if isinstance(op, Script):
                    self._run_script(conn, op.sql, index)
                elif isinstance(op, Integrity):
                    violations = self._foreign_keys.violations(conn)
                    if violations:
                        raise StatementError(_describe_violations(violations), op=index)
                elif isinstance(op, (Guard, Check)):
                    rows = self._execute(conn, op, index, started).fetchmany(3)
                    if rows and isinstance(op, Guard):
                        self._undo_unit(conn)
                        return Outcome(skipped=True, durable=self._commit_if_due(conn))
                    if rows:
                        raise CheckFailed(op.text, [tuple(r) for r in rows], op=index)
                else:
                    self._execute(conn, op, index, started)
            if not unit.keep:
                self._undo_unit(conn)
                return Outcome(skipped=False, durable=self._commit_if_due(conn))
            conn.execute("RELEASE runner_unit")
            self._uncommitted += 1
            self._foreign_keys.unit_done()
        except BaseException as exc:
            if conn.in_transaction:
                self._undo_unit(conn)
                self._commit(conn)  # the units before this one stay
            elif self._uncommitted:
                # SQLite rolled the whole transaction back itself (an interrupt, a full disk, an
                # I/O error): the earlier units of the group, never reported, went with it.
                if isinstance(exc, StatementError):
                    exc.lost = True
                self._uncommitted, self._group_started = 0, None
            raise
        return Outcome(skipped=False, durable=self._commit_if_due(conn))

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise LockTimeout(f"could not take SQLite's write lock within {self.lock_wait:g}s "
                                  "(another process is writing; raise --lock-wait)") from None
            raise StatementError(str(exc)) from None

    def _run_script(self, conn: sqlite3.Connection, sql: str, index: int) -> None:
        self._foreign_keys.watch(conn, sql)  # which tables the script writes
        try:
            for statement in split_sqlite(sql):
                try:
                    conn.execute(statement.sql)
                except sqlite3.Error as exc:
                    raise self._error(exc, index, statement.offset) from None
        finally:
            self._foreign_keys.unwatch(conn)

    def _execute(self, conn: sqlite3.Connection, op: Sql, index: int, started: float) -> sqlite3.Cursor:
        params = {name: (int(round((time.perf_counter() - started) * 1000)) if value is ELAPSED_MS else value)
                  for name, value in op.params.items()}
        try:
            return conn.execute(op.text, params)
        except sqlite3.Error as exc:
            raise self._error(exc, index, None) from None

    def _undo_unit(self, conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK TO runner_unit")
        conn.execute("RELEASE runner_unit")
        if not self._uncommitted:  # nothing of earlier units to keep: do not hold the write lock for nothing
            self._commit(conn)

    def _commit_if_due(self, conn: sqlite3.Connection) -> bool:
        if self._group_started is not None and time.perf_counter() - self._group_started >= WINDOW:
            self._commit(conn)
        return not conn.in_transaction

    def _commit(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("COMMIT")
        self._group_started, self._uncommitted = None, 0

    def _error(self, exc: sqlite3.Error, op: int | None, offset: int | None) -> Exception:
        if _is_busy(exc):
            return LockTimeout(f"the database stayed locked for more than {self.lock_wait:g}s "
                               "(another process is writing; raise --lock-wait)")
        if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
            return DatabaseError(f"{self.path} is damaged ({exc}); nothing was changed: restore it from a "
                                 "backup (`restore <backup file>`)")
        return StatementError(str(exc), offset, op=op)


async def _open(target: str, path: str, **options) -> aiosqlite.Connection:
    pending = aiosqlite.connect(target, isolation_level=None, **options)
    try:
        return await pending
    except sqlite3.Error as exc:
        # aiosqlite's thread is still winding down: let it finish while this event loop runs, or
        # it reports to a closed loop (a second, confusing traceback)
        await asyncio.get_running_loop().run_in_executor(None, pending._thread.join, 5)
        raise ConfigError(f"cannot open SQLite database {path}: {exc}") from None


def _exists(path: str) -> bool:
    """Whether the file is there; a name the system cannot look up (too long, a file as a folder)
    is a configuration error, not a missing file."""
    try:
        os.stat(path)
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigError(f"cannot open SQLite database {path}: {exc.strerror}") from None


def _refuse_unwritable(path: str, read_only: bool) -> None:
    """What SQLite would only say at the first write ("attempt to write a readonly database"), said first."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot open SQLite database {path}: folder {folder} does not exist")
    if read_only:
        return
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ConfigError(f"cannot write SQLite database {path}: the file is read-only for this user")
    if not os.access(folder, os.W_OK | os.X_OK):  # SQLite writes its rollback journal beside the file
        raise ConfigError(f"cannot write SQLite database {path}: folder {folder} is read-only for this user "
                          "(SQLite keeps its journal file beside the database)")


def _is_busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


def _describe_violations(rows: list[dict]) -> str:
    first = rows[0]
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    return (f"FOREIGN KEY check failed: a row of table {first['table']} (rowid {first['rowid']}) "
            f"references a missing row of {first['parent']}{more}")
