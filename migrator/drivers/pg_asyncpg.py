"""PostgreSQL through asyncpg (the default for postgresql:// URLs)."""
from __future__ import annotations

import asyncpg

from ..errors import ConfigError, ConnectionLost
from ..url import DatabaseURL
from . import to_numbered
from .postgres import PostgresDriver, is_connection_state, statement_error

_LOST = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.InterfaceError, ConnectionError, OSError)


class AsyncpgDriver(PostgresDriver):
    def __init__(self, conn: asyncpg.Connection, lock_wait: float):
        super().__init__(lock_wait)
        self.conn = conn
        self._converted: dict[str, tuple[str, list[str]]] = {}

    @classmethod
    async def connect(cls, url: DatabaseURL, *, lock_wait: float, settings: dict[str, str] | None = None) -> "AsyncpgDriver":
        try:
            conn = await asyncpg.connect(url.target, timeout=10)
        except Exception as exc:  # refused, wrong password, no such database, bad parameter
            raise ConfigError(f"cannot connect to {url.display}: {_reason(exc)}") from None
        driver = cls(conn, lock_wait)
        await driver._after_connect(settings or {})
        return driver

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, asyncpg.PostgresError):
            if is_connection_state(exc.sqlstate):
                return ConnectionLost(exc.message)
            return statement_error(exc.message, exc.sqlstate, getattr(exc, "position", None),
                                   getattr(exc, "detail", None), getattr(exc, "hint", None))
        return ConnectionLost(_reason(exc))

    async def _simple(self, sql: str) -> str:
        try:
            return await self.conn.execute(sql)  # no arguments: the simple query protocol; the last status
        except (asyncpg.PostgresError, *_LOST) as exc:
            raise self._translate(exc) from None

    def _bind(self, sql: str, params: dict | None) -> tuple[str, list]:
        if sql not in self._converted:
            self._converted[sql] = to_numbered(sql)
        text, names = self._converted[sql]
        return text, [params[n] for n in names]

    async def execute(self, sql: str, params: dict | None = None) -> None:
        text, args = self._bind(sql, params)
        try:
            await self.conn.execute(text, *args)
        except (asyncpg.PostgresError, *_LOST) as exc:
            raise self._translate(exc) from None

    async def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        text, args = self._bind(sql, params)
        try:
            return [dict(r) for r in await self.conn.fetch(text, *args)]
        except (asyncpg.PostgresError, *_LOST) as exc:
            raise self._translate(exc) from None

    async def close(self) -> None:
        await self.unlock()
        try:
            await self.conn.close(timeout=5)
        except Exception:
            self.conn.terminate()


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
