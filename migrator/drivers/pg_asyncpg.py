"""PostgreSQL through asyncpg (the default for postgresql:// URLs)."""
from __future__ import annotations

import asyncpg

from ..errors import ConfigError, ConnectionLost
from ..url import DatabaseURL
from . import PARAMETER
from .pg_text import is_connection_state, statement_error
from .postgres import PostgresDriver

_LOST = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.InterfaceError, ConnectionError, OSError)


class AsyncpgDriver(PostgresDriver):
    query_needs_transaction = True  # see PostgresDriver

    def __init__(self, conn: asyncpg.Connection, **options):
        super().__init__(**options)
        self.conn = conn
        self._converted: dict[str, tuple[str, list[str]]] = {}

    @classmethod
    async def connect(cls, url: DatabaseURL, **options) -> "AsyncpgDriver":
        try:
            # statement_cache_size=0: no named prepared statements, which a transaction pooler
            # would hand to other clients' server connections
            conn = await asyncpg.connect(url.target, timeout=10, statement_cache_size=0)
        except Exception as exc:  # refused, wrong password, no such database, bad parameter
            raise ConfigError(f"cannot connect to {url.display}: {_reason(exc)}") from None
        return cls(conn, server_version=conn.get_server_version().major * 10000, **options)

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, asyncpg.PostgresError):
            if is_connection_state(exc.sqlstate):
                return ConnectionLost(exc.message or _reason(exc))
            return statement_error(exc.message or str(exc), exc.sqlstate, getattr(exc, "position", None),
                                   getattr(exc, "detail", None), getattr(exc, "hint", None))
        return ConnectionLost(_reason(exc))

    async def _simple(self, text: str) -> str:
        try:
            return await self.conn.execute(text)  # no arguments: the simple query protocol; the last status
        except (asyncpg.PostgresError, *_LOST) as exc:
            raise self._translate(exc) from None

    async def _query(self, sql: str, params: dict) -> list[dict]:
        if sql not in self._converted:
            self._converted[sql] = _numbered(sql)
        text, names = self._converted[sql]
        try:
            return [dict(r) for r in await self.conn.fetch(text, *(params[n] for n in names))]
        except (asyncpg.PostgresError, *_LOST) as exc:
            raise self._translate(exc) from None

    async def close(self) -> None:
        try:
            await self.conn.close(timeout=5)
        except Exception:
            self.conn.terminate()


def _numbered(sql: str) -> tuple[str, list[str]]:
    """:name -> $1, $2 …; the SQL and the parameter names in order."""
    names: list[str] = []

    def sub(m) -> str:
        if not m.group(1):
            return m.group(0)
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return PARAMETER.sub(sub, sql), names


def _reason(exc: Exception) -> str:
    text = str(exc)
    if not text or text == "None":  # asyncpg's lost-connection errors can carry no message
        text = {asyncpg.exceptions.ConnectionDoesNotExistError: "the connection was closed"}.get(
            type(exc), "the server closed the connection")
    return text.splitlines()[0]
