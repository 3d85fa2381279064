"""What both PostgreSQL drivers share: transactions, the advisory locks and error translation.

A subclass only says how its library runs a script, runs a query with parameters, and what
its exceptions carry.
"""
from __future__ import annotations

import asyncio
import contextlib
import time

from ..errors import LockTimeout, StatementError
from ..journal import queries
from ..split import Statement, split_postgres
from . import _PARAM, Query, StepSQL

LOCK_NOT_AVAILABLE = "55P03"
# Sent in front of every script inside a transaction, so that a failure without a position can be
# located by replaying the script statement by statement from this savepoint.
SAVEPOINT = "SAVEPOINT runner_script;\n"
# connection exceptions, and the shutdowns of class 57 (57014, a cancelled query, is not one)
CONNECTION_STATES = ("08", "57P")


class PostgresDriver:
    dialect = "postgres"

    def __init__(self, lock_wait: float):
        self.lock_wait = lock_wait
        self._locked = False
        self._in_transaction = False
        self._lock_timeout = "0"  # the session's own lock_timeout, restored after the xact lock
        self._unflushed = False  # run_step committed asynchronously since the last make_durable()
        q = queries("postgres")
        self._try_lock, self._unlock, self._xact_lock = q["try_lock"][0], q["unlock"][0], q["xact_lock"][0]

    async def _after_connect(self, settings: dict[str, str]) -> None:
        # Session settings (lock_timeout, statement_timeout) hold for every migration; inside a
        # migration's transaction lock_timeout is set back to this value after the xact lock
        # (`SET LOCAL … TO DEFAULT` would not do: it means the server's default, not the session's).
        self._lock_timeout = settings.get("lock_timeout", self._lock_timeout)
        if settings:
            await self._simple("".join(f"SET {name} = '{value}';" for name, value in settings.items()))
        # PostgreSQL 14+: notice within a second when the runner dies mid-statement, so a killed
        # runner's transaction is rolled back and its locks freed instead of lingering.
        with contextlib.suppress(StatementError):
            await self._simple("SET client_connection_check_interval = 1000")

    # Subclasses implement these three, raising StatementError or ConnectionLost.
    async def _simple(self, sql: str) -> str:
        """Run text over the simple query protocol (several statements at once); the last one's status."""
        raise NotImplementedError

    async def execute(self, sql: str, params: dict | None = None) -> None:
        raise NotImplementedError

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        raise NotImplementedError

    async def execute_script(self, sql: str) -> None:
        # The whole file in one simple-query message: dollar quotes, DO blocks and functions
        # are the server's business, and the error position is an offset into this very text.
        if not self._in_transaction:
            await self._simple(sql)
            return
        try:
            await self._simple(SAVEPOINT + sql)
        except StatementError as exc:
            if exc.offset is not None:
                exc.offset = max(0, exc.offset - len(SAVEPOINT))
                raise
            raise await self._locate(sql, exc) from None

    async def _locate(self, sql: str, exc: StatementError) -> StatementError:
        """The server gave no position (e.g. `DROP TABLE missing`): find the failing statement.

        Only on failure, inside the transaction that is about to be rolled back anyway: go back
        to the savepoint and replay the statements one by one until one fails.
        """
        try:
            statements = split_postgres(sql)
        except StatementError:
            return exc
        if len(statements) == 1:
            exc.offset = statements[0].offset
            return exc
        await self._simple("ROLLBACK TO SAVEPOINT runner_script")
        for statement in statements:
            try:
                await self._simple(statement.sql)
            except StatementError as again:
                again.offset = statement.offset + (again.offset or 0)
                return again
        return exc  # not reproducible (a timeout, a race): report it without a line

    async def check_integrity(self) -> None:
        """Check deferred constraints now rather than at commit."""
        await self._simple("SET CONSTRAINTS ALL IMMEDIATE")

    def split(self, sql: str) -> list[Statement]:
        return split_postgres(sql)

    async def run_step(self, step: StepSQL) -> int | None:
        """Three round trips, as many as the bare driver's BEGIN, script, COMMIT.

        1. BEGIN, the transaction lock, synchronous_commit off, `before` and the `done` re-read,
           as one message; the re-read is last, so the message's status ("SELECT n") says
           whether it found a row.
        2. The script behind its savepoint (execute_script), so the server's error position is
           an offset into the file, and a failure without one can be located.
        3. The journal writes and COMMIT as one message. Their parameters are written into the
           text as literals (inline()), because only parameter-less text can hold several statements.
        Each message's statements run in order and the first error skips the rest.
        """
        started = time.perf_counter()
        head = ["BEGIN", *self._lock_statements(),
                # The WAL flush is most of a small migration's commit. Without it the commit is still
                # atomic and at once visible to everyone; make_durable() flushes it before the run
                # reports anything.
                "SET LOCAL synchronous_commit = off",
                *(inline(sql, params) for sql, params in step.before)]
        if step.done:
            head.append(inline(*step.done))
        try:
            try:
                status = await self._simple(";\n".join(head))
            except StatementError as exc:
                if exc.lock_timeout:
                    raise self._lock_wait_exceeded() from None
                raise _without_offset(exc) from None
            if step.done and status.split()[-1] != "0":
                await self._simple("ROLLBACK")
                return None
            self._in_transaction = True  # the script goes behind a savepoint (see execute_script)
            await self.execute_script(step.script)
            duration_ms = int(round((time.perf_counter() - started) * 1000))
            try:
                await self._simple(";\n".join([*(inline(sql, params) for sql, params in step.record(duration_ms)),
                                               "COMMIT"]))
            except StatementError as exc:  # a journal write, or a deferred constraint of the script at COMMIT
                raise _without_offset(exc) from None
            self._unflushed = True
            return duration_ms
        except BaseException:
            with contextlib.suppress(Exception):
                await self._simple("ROLLBACK")  # after a failed COMMIT there is nothing left to roll back: harmless
            raise
        finally:
            self._in_transaction = False

    async def make_durable(self) -> None:
        if self._unflushed:
            # A commit waits for the WAL flush (per the session's synchronous_commit) only if its
            # transaction has an xid and wrote WAL; a transactional logical-decoding message is the
            # smallest such write (no table is touched). The WAL is one sequence: flushing it up to
            # this commit flushes every earlier asynchronous commit too.
            try:
                await self._simple("BEGIN; SELECT pg_logical_emit_message(true, 'migrator', 'durable'); COMMIT")
            except StatementError:  # a server that does not let us (EXECUTE revoked): a no-op update
                with contextlib.suppress(Exception):  # of the runner's own newest event writes WAL too
                    await self._simple("ROLLBACK")
                await self._simple("UPDATE schema_journal_events SET id = id "
                                   "WHERE id = (SELECT max(id) FROM schema_journal_events)")
            self._unflushed = False

    def _lock_statements(self) -> list[str]:
        # A transaction-level advisory lock serialises runners even where the session lock
        # cannot hold (PgBouncer in transaction mode); the re-read of the journal comes after it.
        # Then the session's own lock_timeout again for the migration's statements (`TO DEFAULT`
        # would mean the server's default, not the session's).
        return [f"SET LOCAL lock_timeout = '{max(1, int(self.lock_wait * 1000))}ms'", self._xact_lock,
                f"SET LOCAL lock_timeout = '{self._lock_timeout}'"]

    def _lock_wait_exceeded(self) -> LockTimeout:
        return LockTimeout(f"another runner kept the migration lock for more than {self.lock_wait:g}s (--lock-wait)")

    @contextlib.asynccontextmanager
    async def transaction(self, *, check: bool = True):  # `check` is SQLite's foreign_key_check
        try:
            try:
                await self._simple(";\n".join(["BEGIN", *self._lock_statements()]))
            except StatementError as exc:
                if exc.lock_timeout:
                    raise self._lock_wait_exceeded() from None
                raise
            self._in_transaction = True
            yield
            await self._simple("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await self._simple("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    async def lock(self) -> None:
        deadline = time.monotonic() + self.lock_wait
        while not (await self.fetch(self._try_lock))[0]["locked"]:
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another runner holds the advisory lock on this database; gave up after "
                                  f"{self.lock_wait:g}s (--lock-wait)")
            await asyncio.sleep(0.05)
        self._locked = True

    async def unlock(self) -> None:
        if self._locked:
            self._locked = False
            with contextlib.suppress(Exception):
                await self.fetch(self._unlock)


def inline(sql: str, params: dict) -> str:
    """A journal query with its :named parameters written as SQL literals.

    Only the runner's own values go here (versions, names, checksums, the stored rollback text,
    paths). Strings become E'...' literals with backslashes and quotes doubled: inside E'' those
    two are the only special characters, whatever standard_conforming_strings says.
    """
    def literal(m) -> str:
        if not m.group(1):
            return m.group(0)  # a string, a quoted identifier or a :: cast
        value = params[m.group(1)]
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        raise TypeError(f"no SQL literal for {type(value).__name__}")

    return _PARAM.sub(literal, sql)


def _without_offset(exc: StatementError) -> StatementError:
    """A failure outside the script: its position is not an offset into the file."""
    exc.offset = None
    return exc


def statement_error(message: str, sqlstate: str | None, position, detail, hint) -> StatementError:
    offset = int(position) - 1 if position not in (None, "") else None  # the server counts from 1
    return StatementError(message, offset, detail or None, hint or None, lock_timeout=sqlstate == LOCK_NOT_AVAILABLE)


def is_connection_state(sqlstate: str | None) -> bool:
    return bool(sqlstate) and sqlstate.startswith(CONNECTION_STATES)
