"""PostgreSQL through psycopg 3 (postgresql+psycopg:// URLs).

Autocommit mode with explicit BEGIN/COMMIT, as psycopg's docs advise for code that manages
its own transactions; a query without parameters goes over the simple protocol, so a whole
file can be sent at once.
"""
from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from ..errors import ConfigError, ConnectionLost
from ..url import DatabaseURL
from . import to_pyformat
from .postgres import PostgresDriver, is_connection_state, statement_error


class PsycopgDriver(PostgresDriver):
    def __init__(self, conn: psycopg.AsyncConnection, lock_wait: float):
        super().__init__(lock_wait)
        self.conn = conn
        self._converted: dict[str, str] = {}

    @classmethod
    async def connect(cls, url: DatabaseURL, *, lock_wait: float, settings: dict[str, str] | None = None) -> "PsycopgDriver":
        try:
            conn = await psycopg.AsyncConnection.connect(url.target, autocommit=True, row_factory=dict_row,
                                                         connect_timeout=10)
        except Exception as exc:
            raise ConfigError(f"cannot connect to {url.display}: {_reason(exc)}") from None
        driver = cls(conn, lock_wait)
        await driver._after_connect(settings or {})
        return driver

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, psycopg.Error) and exc.sqlstate and not is_connection_state(exc.sqlstate):
            d = exc.diag
            return statement_error(d.message_primary or str(exc), exc.sqlstate, d.statement_position,
                                   d.message_detail, d.message_hint)
        return ConnectionLost(_reason(exc))

    async def _simple(self, sql: str) -> str:
        try:
            cursor = await self.conn.execute(sql.encode("utf-8"), prepare=False)
            while cursor.nextset():  # one result per statement; the caller wants the last one's status
                pass
            return cursor.statusmessage or ""
        except (psycopg.Error, OSError) as exc:
            raise self._translate(exc) from None

    def _text(self, sql: str) -> str:
        if sql not in self._converted:
            self._converted[sql] = to_pyformat(sql)
        return self._converted[sql]

    async def execute(self, sql: str, params: dict | None = None) -> None:
        try:
            await self.conn.execute(self._text(sql), params or {})
        except (psycopg.Error, OSError) as exc:
            raise self._translate(exc) from None

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        try:
            cursor = await self.conn.execute(self._text(sql), params or {})
            return await cursor.fetchall()
        except (psycopg.Error, OSError) as exc:
            raise self._translate(exc) from None

    async def close(self) -> None:
        await self.unlock()
        await self.conn.close()


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
