"""What both PostgreSQL drivers share: a unit as one message, error positions, durability.

A subclass only says how its library sends text over the simple query protocol, runs one query
with parameters, and what its exceptions carry (`_simple`, `_query`, `_translate`).

A unit goes to the server as one simple-query message: BEGIN, the lock, the guard, the file,
the journal's writes and COMMIT, the runner's values written into the text as literals (only
parameter-less text can hold several statements). Each statement runs in order and the first
error skips the rest, so a unit costs one round trip, as a bare `execute(file)` does. What must
decide mid-message decides on the server: the lock and the guard are DO blocks that raise an
error code of ours. Nothing outlives the transaction (SET LOCAL, transaction-level advisory
locks), so this works behind PgBouncer in transaction pooling mode.
"""
from __future__ import annotations

import asyncio
import time

from ..errors import CheckFailed, LockTimeout, StatementError
from ..split import postgres_pieces
from . import WINDOW, Check, Guard, Integrity, Lock, Outcome, Script, Unit
from .pg_text import Message, inline

SKIPPED = "RNSKP"  # raised by a guard that found a row
LOCK_WAIT = "RNLCK"  # raised by the lock op when the lock was not had within lock_wait
BUSY = "RNBSY"  # raised by the first try at the lock when another transaction holds it
# Failures of timing, not of the file (a statement timeout, a cancel, a deadlock, a serialization
# failure): not located by running the file again, which would wait again at every step.
TIMING = ("57014", "40P01", "40001")
# A lock timeout is: the locks the file took are this transaction's already, so only the statement
# that waited waits again, and for no longer than this.
RELOCK = "SET LOCAL lock_timeout = '20ms'"
# A commit the runner reports as durable waits for the WAL flush even where the role, the database
# or the server turned synchronous_commit off (a stronger setting, such as remote_apply, is kept).
DURABLE = "SELECT set_config('synchronous_commit', 'local', true) WHERE current_setting('synchronous_commit') = 'off'"


class PostgresDriver:
    dialect = "postgres"
    # asyncpg prepares a statement in one trip and runs it in another: behind a transaction
    # pooler both must reach the same server connection, which only a transaction guarantees.
    query_needs_transaction = False

    def __init__(self, *, lock_wait: float, timeouts: dict[str, float], read_only: bool, server_version: int):
        self.lock_wait = lock_wait
        self.read_only = read_only
        # Set in each unit after the lock (the session is not ours to change behind a pooler).
        self._settings = [f"SET LOCAL {name} = '{_ms(seconds)}'" for name, seconds in timeouts.items()]
        if server_version >= 140000:
            # notice within a second that the runner died mid-statement, so its transaction is rolled
            # back and its locks freed instead of lingering
            self._settings.append("SET LOCAL client_connection_check_interval = 1000")
        self._unflushed = False  # units committed asynchronously since the last flush
        self._durable_at: float | None = None  # the last durable point; None before the first unit

    # Subclasses implement these, raising what _translate() makes of their library's errors.
    async def _simple(self, text: str) -> str:
        """Run text over the simple query protocol (several statements at once); the last one's status."""
        raise NotImplementedError

    async def _query(self, sql: str, params: dict) -> list[dict]:
        """One statement with :named parameters; its rows."""
        raise NotImplementedError

    # -- the Driver interface ------------------------------------------------------------------------

    async def fetch(self, sql: str, params=None) -> list[dict]:
        if not (self.read_only or self.query_needs_transaction):
            return await self._query(sql, dict(params or {}))
        # a read-only reader (the studio) relies on statement_timeout to give up: set it here too
        await self._simple(";\n".join(["BEGIN READ ONLY", *self._settings]) if self.read_only else "BEGIN")
        try:
            rows = await self._query(sql, dict(params or {}))
        except BaseException:
            await self._rollback()
            raise
        await self._simple("COMMIT")
        return rows

    async def run_script(self, sql: str) -> None:
        await self.flush()
        if not self.read_only:
            await self._simple(sql)
            return
        try:
            await self._simple(f"BEGIN READ ONLY;\n{sql}\n;COMMIT")
        except StatementError as exc:
            await self._rollback()
            exc.offset = None if exc.offset is None else exc.offset - len("BEGIN READ ONLY;\n")
            raise

    async def flush(self) -> None:
        if not self._unflushed:
            return
        # A commit waits for the WAL flush only if its transaction wrote WAL; a transactional
        # logical-decoding message is the smallest such write. The WAL is one sequence: flushing it
        # up to this commit flushes every earlier asynchronous commit too.
        try:
            await self._simple(f"BEGIN; {DURABLE}; SELECT pg_logical_emit_message(true, 'migrator', 'durable'); COMMIT")
        except StatementError:  # not allowed to (EXECUTE revoked): a catalog write is WAL too
            await self._rollback()
            await self._simple(f"BEGIN; {DURABLE}; CREATE TEMPORARY TABLE runner_durable () ON COMMIT DROP; COMMIT")
        self._unflushed = False
        self._durable_at = time.perf_counter()

    async def run_unit(self, unit: Unit) -> Outcome:
        # The lock is first tried without waiting, in one DO block with the guard: a waiting try
        # needs an exception handler (a subtransaction) and a block of its own, about 50 µs a step.
        # Only when another runner holds the lock is the unit sent again, waiting for it.
        try:
            return await self._run_unit(unit, wait=False)
        except _Busy:
            return await self._run_unit(unit, wait=True)

    async def _run_unit(self, unit: Unit, *, wait: bool) -> Outcome:
        started = time.perf_counter()
        if self._durable_at is None:
            self._durable_at = started
        synchronous = started - self._durable_at >= WINDOW  # this commit makes everything durable
        head = ["BEGIN", *self._settings] + ([DURABLE] if synchronous else ["SET LOCAL synchronous_commit = off"])
        message = Message(head)
        ops = unit.ops
        try:
            for index, op in enumerate(ops):
                if isinstance(op, Check):  # its rows are needed here: send what came before it first
                    await self._send(message, unit)
                    message = Message([])
                    try:
                        rows = await self._query(op.text, dict(op.params))
                    except StatementError as exc:
                        exc.op = index  # the check's own SQL failed: name the check
                        raise
                    if rows:
                        raise CheckFailed(op.text, [tuple(r.values()) for r in rows[:3]], op=index)
                elif isinstance(op, Lock) and not wait:
                    guard = ops[index + 1] if index + 1 < len(ops) and isinstance(ops[index + 1], Guard) else None
                    message.add(index, _try_lock(inline(op.text, op.params), guard))
                elif isinstance(op, Guard) and not wait and index and isinstance(ops[index - 1], Lock):
                    continue  # in the lock's block
                else:
                    message.add(index, self._text(index, op))
            message.add(None, "COMMIT" if unit.keep else "ROLLBACK")
            await self._send(message, unit)
        except StatementError as exc:
            await self._rollback()
            if exc.sqlstate == BUSY:
                raise _Busy() from None
            if exc.sqlstate == SKIPPED:
                return Outcome(skipped=True, durable=not self._unflushed)
            if exc.sqlstate == LOCK_WAIT:
                raise LockTimeout(f"another runner holds the advisory lock on this database; gave up after "
                                  f"{self.lock_wait:g}s (--lock-wait)") from None
            raise
        except BaseException:
            await self._rollback()
            raise
        if synchronous and unit.keep:
            self._unflushed, self._durable_at = False, time.perf_counter()
        elif unit.keep:
            self._unflushed = True
            if time.perf_counter() - started >= WINDOW:  # a long unit is reported at once
                await self.flush()
        return Outcome(skipped=False, durable=not self._unflushed)

    # -- composing and sending a unit ------------------------------------------------------------------

    def _text(self, index: int, op) -> str:
        if isinstance(op, Script):
            # The savepoint lets a failure without a position be located (_locate); the newline
            # ends a last line that is a -- comment.
            return f"SAVEPOINT runner_{index};\n{op.sql}\n"
        if isinstance(op, Integrity):
            return "SET CONSTRAINTS ALL IMMEDIATE"
        text = inline(op.text, op.params)
        if isinstance(op, Lock):  # waits lock_wait for it, then lock_timeout is what it was again
            return ("DO $runner$DECLARE was text := current_setting('lock_timeout'); BEGIN "
                    f"PERFORM set_config('lock_timeout', '{_ms(self.lock_wait, least=1)}', true); "
                    f"PERFORM 1 FROM ({text}) AS runner_lock; PERFORM set_config('lock_timeout', was, true); "
                    f"EXCEPTION WHEN lock_not_available THEN RAISE EXCEPTION USING ERRCODE = '{LOCK_WAIT}', "
                    "MESSAGE = 'lock wait'; END$runner$")
        if isinstance(op, Guard):
            return f"DO $runner$BEGIN {_guard_check(text)} END$runner$"
        return text

    async def _send(self, message: Message, unit: Unit) -> None:
        if not message.parts:
            return
        try:
            await self._simple(message.text())
        except StatementError as exc:
            if exc.sqlstate in (SKIPPED, LOCK_WAIT, BUSY):
                raise
            if exc.offset is not None:
                exc.op, exc.offset = message.locate(exc.offset, unit)
                raise
            if exc.sqlstate in TIMING:
                raise  # reported against the file, without a line
            raise await self._locate(exc, message, unit, RELOCK if exc.lock_timeout else "") from None

    async def _locate(self, exc: StatementError, message: Message, unit: Unit, head: str) -> StatementError:
        """The server gave no position (e.g. `DROP TABLE missing`): find the failing statement.

        Only on failure, inside the transaction about to be rolled back anyway: go back to the
        savepoint before the last file the message reached and run the file again behind it
        (`_first_failure`), each message after `head`. About one more run of the file, in a handful
        of messages.
        """
        scripts = [i for i in message.ops() if isinstance(unit.ops[i], Script)]
        for index in reversed(scripts):
            try:
                await self._simple(f"ROLLBACK TO SAVEPOINT runner_{index}")
            except StatementError:
                continue  # the failure came before this file's savepoint
            try:
                found = await self._first_failure(unit.ops[index].sql, index, head)
            except StatementError:
                return exc  # the file does not parse here: reported as the server said it
            if found is not None:
                return found
            break  # the file runs: the failure came after it (a journal write, a deferred constraint)
        exc.op = None
        return exc  # not reproducible (a timeout, a race): reported without a line

    async def _first_failure(self, sql: str, index: int, head: str) -> StatementError | None:
        """Run the file's statements again a piece at a time, each piece kept behind the savepoint
        when it succeeds; in the piece that fails, run halves until one statement is left, which
        fails. The next piece is parsed in a thread while the server runs this one."""
        loop = asyncio.get_running_loop()
        pieces = postgres_pieces(sql)

        def parse_next():
            future = loop.run_in_executor(None, next, pieces, None)
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # unread if we stop early
            return future

        upcoming = parse_next()
        while (statements := await upcoming) is not None:
            upcoming = parse_next()
            if await self._runs(statements, index, head):
                continue
            lo, hi = 0, len(statements)  # statements[lo:hi] holds the failure; those before lo ran
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if await self._runs(statements[lo:mid], index, head):
                    lo = mid
                else:
                    hi = mid
            try:
                await self._simple(f"{head};\n{statements[lo].sql}" if head else statements[lo].sql)
            except StatementError as again:
                again.offset = None if again.offset is None else again.offset - (len(head) + 2 if head else 0)
                again.op, again.offset = index, statements[lo].offset + (again.offset or 0)
                return again
            return None  # it runs now (a race, a timeout): not reproducible
        return None

    async def _runs(self, statements: list, index: int, head: str) -> bool:
        """Run statements behind savepoint runner_<index>: kept and True, or rolled back and False."""
        try:
            await self._simple("\n;\n".join([head] * bool(head) + [s.sql for s in statements])
                               + f"\n;\nSAVEPOINT runner_{index}")
            return True
        except StatementError:
            await self._simple(f"ROLLBACK TO SAVEPOINT runner_{index}")
            return False

    async def _rollback(self) -> None:
        try:
            await self._simple("ROLLBACK")  # harmless where nothing is open any more
        except Exception:
            pass


class _Busy(Exception):
    """The lock's first try found it held: the unit was rolled back, to be sent again waiting."""


def _guard_check(text: str) -> str:
    return (f"IF EXISTS ({text}) THEN RAISE EXCEPTION USING ERRCODE = '{SKIPPED}', "
            "MESSAGE = 'done by another runner'; END IF;")


def _try_lock(text: str, guard: Guard | None) -> str:
    """The lock taken if free, else BUSY; then the guard, whose query runs with a snapshot taken
    after the lock (each statement of a DO block takes its own)."""
    trying = text.replace("pg_advisory_xact_lock(", "pg_try_advisory_xact_lock(", 1)
    assert trying != text, f"the runner's lock is not an advisory lock: {text}"
    check = _guard_check(inline(guard.text, guard.params)) if guard else ""
    return (f"DO $runner$BEGIN IF NOT ({trying}) THEN RAISE EXCEPTION USING ERRCODE = '{BUSY}', "
            f"MESSAGE = 'the lock is held'; END IF; {check} END$runner$")


def _ms(seconds: float, least: int = 0) -> str:
    return f"{max(least, int(seconds * 1000))}ms"
