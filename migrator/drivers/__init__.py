"""The driver interface: "run this script" and "query that", nothing more.

Every loop (over migrations, over statements of a no-transaction file) lives in the engine;
a driver is one small module per database library, chosen by the URL.
"""
from __future__ import annotations

import re
from typing import AsyncContextManager, Protocol

from ..split import Statement
from ..url import DatabaseURL


class Driver(Protocol):
    dialect: str  # "sqlite" | "postgres"

    async def execute_script(self, sql: str) -> None:
        """Run a whole script; raise StatementError with the failing offset in `sql`."""

    async def execute(self, sql: str, params: dict | None = None) -> None:
        """Run one statement with :named parameters."""

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        """Run one query with :named parameters and return its rows."""

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
