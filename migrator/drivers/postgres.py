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
    async def _simple(self, sql: str) -> None:
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

    @contextlib.asynccontextmanager
    async def transaction(self, *, check: bool = True):  # `check` is SQLite's foreign_key_check
        await self._simple("BEGIN")
        try:
            # A transaction-level advisory lock serialises runners even where the session lock
            # cannot hold (PgBouncer in transaction mode); the engine re-reads the journal after it.
            await self._simple(f"SET LOCAL lock_timeout = '{max(1, int(self.lock_wait * 1000))}ms'")
            try:
                await self.execute(self._xact_lock)
            except StatementError as exc:
                if exc.lock_timeout:
                    raise LockTimeout(f"another runner kept the migration lock for more than {self.lock_wait:g}s "
                                      "(--lock-wait)") from None
                raise
            await self._simple(f"SET LOCAL lock_timeout = '{self._lock_timeout}'")
            self._in_transaction = True
            yield
            await self._simple("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await self._simple("ROLLBACK")
            raise
        finally:
            self._in_transaction = False
        self._lock_timeout = "0"  # the session's own lock_timeout, restored after the xact lock

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


def statement_error(message: str, sqlstate: str | None, position, detail, hint) -> StatementError:
    offset = int(position) - 1 if position not in (None, "") else None  # the server counts from 1
    return StatementError(message, offset, detail or None, hint or None, lock_timeout=sqlstate == LOCK_NOT_AVAILABLE)


def is_connection_state(sqlstate: str | None) -> bool:
    return bool(sqlstate) and sqlstate.startswith(CONNECTION_STATES)
