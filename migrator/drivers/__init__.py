"""The driver interface: "run this script" and "query that", nothing more.

Every loop (over migrations, over statements of a no-transaction file) lives in the engine;
a driver is one small module per database library, chosen by the URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import AsyncContextManager, Callable, Protocol

from ..split import Statement
from ..url import DatabaseURL

Query = tuple[str, dict]  # one statement with its :named parameters


@dataclass(frozen=True)
class StepSQL:
    """One migration, rollback or seed: everything its transaction runs, handed to a driver at once.

    A driver runs it in as few trips as its database allows (SQLite: one hop to the connection's
    thread; PostgreSQL: three messages), where statement-by-statement calls would pay a thread hop
    or a network round trip each, as much as a small migration's own SQL costs.
    """

    script: str  # the file's SQL; only its errors carry an offset
    done: Query | None  # re-read after the transaction lock: a row means another runner did this step
    record: Callable[[int], list[Query]]  # the journal writes, given the step's duration in ms; pure
    before: tuple[Query, ...] = ()  # after the lock, before the script (a seed's parameters)
    check: bool = True  # SQLite: PRAGMA foreign_key_check must come back empty before COMMIT


class Driver(Protocol):
    dialect: str  # "sqlite" | "postgres"

    async def execute_script(self, sql: str) -> None:
        """Run a whole script; raise StatementError with the failing offset in `sql`."""

    async def execute(self, sql: str, params: dict | None = None) -> None:
        """Run one statement with :named parameters."""

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        """Run one query with :named parameters and return its rows."""

    async def run_step(self, step: StepSQL) -> int | None:
        """Run one step as one transaction and return its duration in ms, or None when `done` found a row.

        In order: begin, take the transaction-level lock (LockTimeout after lock_wait), re-read
        `done` (a row: roll back, return None), `before`, the script, `record(ms)`, the check,
        commit. Any failure rolls it all back and raises StatementError (with an offset into
        the script only when one of the script's statements failed), LockTimeout or ConnectionLost.
        PostgreSQL commits it asynchronously; see make_durable().
        """

    async def make_durable(self) -> None:
        """Return once every commit of this connection is durable.

        PostgreSQL: run_step commits with synchronous_commit off (no wait for the WAL flush); one
        synchronous commit flushes the WAL up to itself, so all earlier commits with it. SQLite
        commits synchronously: nothing to do.
        """

    def transaction(self, *, check: bool = True) -> AsyncContextManager[None]:
        """A write transaction that other runners cannot enter at the same time (bounded by lock_wait).

        `check`: run the dialect's integrity check before commit (SQLite's foreign_key_check).
        """

    async def check_integrity(self) -> None:
        """What the database would refuse at commit (SQLite: foreign keys; PostgreSQL: deferred
        constraints), raised now as StatementError."""

    def split(self, sql: str) -> list[Statement]:
        """The script's statements, by the database's own rules (for no-transaction files)."""

    async def lock(self) -> None:
        """Take the run-level lock that keeps two runners from interleaving; LockTimeout after lock_wait."""

    async def unlock(self) -> None: ...

    async def close(self) -> None: ...


async def open_driver(url: DatabaseURL, *, lock_wait: float, create: bool = True,
                      pg_settings: dict[str, str] | None = None, read_only: bool = False) -> Driver:
    """Connect with the driver the URL names. Imports it only now, so start-up stays fast.

    `create=False` (read-only commands) never creates a SQLite file that does not exist.
    `pg_settings`: session settings for PostgreSQL (lock_timeout, statement_timeout).
    `read_only`: the database itself refuses every write on this connection (SQLite opens the
    file with `mode=ro`; PostgreSQL sessions get `default_transaction_read_only = on`).
    """
    if url.driver == "sqlite":
        from .sqlite import SqliteDriver
        return await SqliteDriver.connect(url, lock_wait=lock_wait, create=create, read_only=read_only)
    if read_only:
        pg_settings = {**(pg_settings or {}), "default_transaction_read_only": "on"}
    if url.driver == "asyncpg":
        from .pg_asyncpg import AsyncpgDriver
        return await AsyncpgDriver.connect(url, lock_wait=lock_wait, settings=pg_settings)
    if url.driver == "psycopg":
        from .pg_psycopg import PsycopgDriver
        return await PsycopgDriver.connect(url, lock_wait=lock_wait, settings=pg_settings)
    raise AssertionError(url.driver)


# :name parameters outside string literals and identifiers; `::` casts are left alone.
_PARAM = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:([A-Za-z_]\w*)")


def to_numbered(sql: str) -> tuple[str, list[str]]:
    """:name -> $1, $2 … (asyncpg); returns the SQL and the parameter names in order."""
    names: list[str] = []

    def sub(m: re.Match) -> str:
        if not m.group(1):
            return m.group(0)
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return _PARAM.sub(sub, sql), names


def to_pyformat(sql: str) -> str:
    """:name -> %(name)s (psycopg), with literal % doubled."""
    out, last = [], 0
    for m in _PARAM.finditer(sql):
        if m.group(1):
            out.append(sql[last:m.start()].replace("%", "%%"))
            out.append(f"%({m.group(1)})s")
            last = m.end()
    out.append(sql[last:].replace("%", "%%"))
    return "".join(out)
