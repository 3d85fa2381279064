"""PostgreSQL through psycopg 3 (postgresql+psycopg:// URLs).

Autocommit mode with explicit BEGIN/COMMIT, as psycopg's docs advise for code that manages its
own transactions; text without parameters goes over the simple query protocol, so a whole unit
can be sent at once.
"""
from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from ..errors import ConfigError, ConnectionLost
from ..url import DatabaseURL
from . import PARAMETER
from .pg_text import is_connection_state, statement_error
from .postgres import PostgresDriver


class PsycopgDriver(PostgresDriver):
    def __init__(self, conn: psycopg.AsyncConnection, **options):
        super().__init__(**options)
        self.conn = conn
        self._converted: dict[str, str] = {}

    @classmethod
    async def connect(cls, url: DatabaseURL, **options) -> "PsycopgDriver":
        try:
            # prepare_threshold=None: no named prepared statements, which a transaction pooler
            # would hand to other clients' server connections
            conn = await psycopg.AsyncConnection.connect(url.target, autocommit=True, row_factory=dict_row,
                                                         connect_timeout=10, prepare_threshold=None)
        except Exception as exc:
            raise ConfigError(f"cannot connect to {url.display}: {_reason(exc)}") from None
        return cls(conn, server_version=conn.info.server_version, **options)

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, psycopg.Error) and exc.sqlstate and not is_connection_state(exc.sqlstate):
            d = exc.diag
            return statement_error(d.message_primary or str(exc), exc.sqlstate, d.statement_position,
                                   d.message_detail, d.message_hint)
        return ConnectionLost(_reason(exc))

    async def _simple(self, text: str) -> str:
        try:
            cursor = await self.conn.execute(text.encode("utf-8"), prepare=False)
            while cursor.nextset():  # one result per statement; the caller wants the last one's status
                pass
            return cursor.statusmessage or ""
        except (psycopg.Error, OSError) as exc:
            raise self._translate(exc) from None

    async def _query(self, sql: str, params: dict) -> list[dict]:
        if sql not in self._converted:
            self._converted[sql] = _pyformat(sql)
        try:
            cursor = await self.conn.execute(self._converted[sql], params)
            return await cursor.fetchall() if cursor.description else []
        except (psycopg.Error, OSError) as exc:
            raise self._translate(exc) from None

    async def close(self) -> None:
        await self.conn.close()


def _pyformat(sql: str) -> str:
    """:name -> %(name)s, with literal % doubled."""
    out, last = [], 0
    for m in PARAMETER.finditer(sql):
        if m.group(1):
            out.append(sql[last:m.start()].replace("%", "%%"))
            out.append(f"%({m.group(1)})s")
            last = m.end()
    out.append(sql[last:].replace("%", "%%"))
    return "".join(out)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
