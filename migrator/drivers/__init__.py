"""Drivers: how each database library carries out the runner's work.

The engine composes every transaction as a `Unit`: an ordered list of operations (the runner's
lock, a guard, the file's SQL, the journal's writes, ...) written once, in `migrator/steps.py`.
A driver knows nothing of migrations or the journal; it runs a unit in as few trips as its
database allows (SQLite: one hop to its thread; PostgreSQL: one message), runs a query, and
runs a statement outside any transaction. Every loop lives in the engine.

Nothing a driver relies on outlives one transaction (no session settings, session locks or
server-side prepared statements), so PostgreSQL works the same behind PgBouncer in transaction
pooling mode as directly.
"""

import re
from typing import Mapping, NamedTuple, Protocol, Union

from ..url import DatabaseURL


class _Elapsed:
    def __repr__(self) -> str:
        return "ELAPSED_MS"


# A parameter value the driver replaces with the milliseconds since its unit began, as the
# statement runs: a step's duration, recorded in the same transaction as the step.
ELAPSED_MS = _Elapsed()


class Sql(NamedTuple):
    """One of the runner's own statements, with :named parameters."""

    text: str
    params: Mapping[str, object] = {}  # never changed in place


class Lock(Sql):
    """The runner's transaction lock; waiting longer than lock_wait for it raises LockTimeout."""

    __slots__ = ()


class Guard(Sql):
    """A query run under the lock: a row means another runner did this step meanwhile, so the unit
    is rolled back and reported as skipped."""

    __slots__ = ()


class Check(Sql):
    """A query whose rows are offending rows: any row rolls the unit back (CheckFailed)."""

    __slots__ = ()


class Script(NamedTuple):
    """SQL from a project file; its failure names the offset of the failing statement in it."""

    sql: str


class Integrity(NamedTuple):
    """What the database would refuse at commit, checked now: PostgreSQL's deferred constraints,
    SQLite's foreign keys (not enforced while a migration runs) on what this unit's scripts wrote."""


Op = Union[Sql, Script, Integrity]


class Unit(NamedTuple):
    """One transaction. `keep=False` rolls it back at the end (`up --test`)."""

    ops: tuple[Op, ...]
    keep: bool = True


class Outcome(NamedTuple):
    skipped: bool  # a Guard found a row: nothing was changed
    durable: bool  # this unit and every earlier one of this connection are durable now


class Driver(Protocol):
    dialect: str  # "sqlite" | "postgres"

    async def run_unit(self, unit: Unit) -> Outcome:
        """Run the unit as one transaction: every op in order, then commit (or roll back when
        `keep` is false). Any failure rolls it all back and raises StatementError (its `op` the
        index of the failing op, its `offset` into a Script's SQL), CheckFailed, LockTimeout or
        ConnectionLost. A commit may wait for later units to become durable (see flush)."""

    async def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[dict]:
        """One query with :named parameters, in a transaction of its own (read-only on a
        read-only connection); its rows."""

    async def run_script(self, sql: str) -> None:
        """SQL outside any transaction (`-- runner: no-transaction` statements, CREATE DATABASE);
        units still waiting to be durable are made durable first."""

    async def flush(self) -> None:
        """Return once every unit run so far is durable. Units are committed so that a small one
        does not wait for the disk; a driver makes them durable at least every WINDOW seconds
        and here."""

    async def close(self) -> None: ...


# How long completed units may wait to be made durable together (one disk flush for many small
# migrations instead of one each). No more than this much work is ever at stake in a crash.
WINDOW = 0.2


async def open_driver(url: DatabaseURL, *, lock_wait: float = 30.0, lock_timeout: float | None = None,
                      statement_timeout: float | None = None, read_only: bool = False,
                      create: bool = True) -> Driver:
    """Connect with the driver the URL names. Imports it only now, so start-up stays fast.

    lock_wait: how long a unit waits for the runner's lock (then LockTimeout).
    lock_timeout, statement_timeout (PostgreSQL): how long a statement of a unit may wait for a
    table lock / run, set in each unit's own transaction.
    read_only: the database itself refuses writes (SQLite `mode=ro`, PostgreSQL read-only
    transactions). create=False never creates a SQLite file that does not exist.
    """
    if url.driver == "sqlite":
        from .sqlite import SqliteDriver
        return await SqliteDriver.connect(url, lock_wait=lock_wait, create=create and not read_only,
                                          read_only=read_only)
    timeouts = {name: seconds for name, seconds in
                (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout)) if seconds is not None}
    if url.driver == "asyncpg":
        from .pg_asyncpg import AsyncpgDriver as driver
    elif url.driver == "psycopg":
        from .pg_psycopg import PsycopgDriver as driver
    else:
        raise AssertionError(url.driver)
    return await driver.connect(url, lock_wait=lock_wait, timeouts=timeouts, read_only=read_only)


# :name parameters outside string literals and identifiers; `::` casts are left alone.
PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:([A-Za-z_]\w*)")
