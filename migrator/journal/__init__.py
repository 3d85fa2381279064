"""The journal: the runner's own tables, through named queries in <dialect>.sql beside this file.

Reads run at once. Writes are returned as ops for a unit (see migrator/steps.py), so that each
lands in the same transaction as the step it records.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from pathlib import Path

from ..drivers import ELAPSED_MS, Guard, Lock, Sql
from ..errors import ConfigError
from ..model import Applied, Migration
from ..split import split_sqlite

_BLOCK = re.compile(r"^-- name: (\w+)\s*$", re.M)

FORMAT = 2  # the journal's layout this runner writes; older ones are upgraded on first write
KEPT_SQL_LIMIT = 1_000_000  # characters of an up file the journal keeps for diffs; a larger file is not kept


@functools.cache
def queries(dialect: str) -> dict[str, list[str]]:
    """Named blocks of <dialect>.sql, each split into its statements (without their `;`)."""
    text = (Path(__file__).with_name(f"{dialect}.sql")).read_text(encoding="utf-8")
    parts = _BLOCK.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]; the journal's SQL is plain enough for
    # SQLite's tokenizer to split it on both dialects.
    return {name: [s.sql.rstrip().rstrip(";") for s in split_sqlite(body)] for name, body in zip(parts[1::2], parts[2::2])}


@functools.cache
def actor() -> str:
    """Who runs this: the operating-system user at this host."""
    import socket  # here: read-only commands never need it

    from ..settings import os_user
    return f"{os_user() or 'unknown'}@{socket.gethostname()}"


def _kept(sql: str) -> str | None:
    return sql if len(sql) <= KEPT_SQL_LIMIT else None


def _iso(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


class Journal:
    def __init__(self, db, runner_version: str):
        self.db = db
        self.q = queries(db.dialect)
        self.runner_version = runner_version
        self._complete = False

    def _ops(self, query: str, kind=Sql, /, **params) -> list[Sql]:
        return [kind(sql, params) for sql in self.q.get(query, [])]

    async def _one(self, query: str, /, **params) -> dict | None:
        rows = await self.db.fetch(self.q[query][0], params)
        return rows[0] if rows else None

    # -- reads ---------------------------------------------------------------------------------------

    async def _state(self) -> tuple[int | None, int]:
        """(format, how many of the runner's tables exist): format None when there is no journal, 1
        for runner 0.1.0's. Remembered once complete: nothing but `reset` (see forget()) makes a
        journal older or smaller."""
        if self._complete:
            return FORMAT, 4
        found = await self._one("exists")
        if not found["n"]:
            return None, found["tables"]
        version = (await self._one("format"))["format"] if found["meta"] else 1
        if version > FORMAT:
            raise ConfigError(f"the journal was written by a newer runner (journal format {version}; this runner "
                              f"knows format {FORMAT} and older): upgrade the runner before using it here")
        self._complete = version == FORMAT and found["tables"] == 4
        return version, found["tables"]

    def forget(self) -> None:
        """The journal was dropped (reset): look for it again."""
        self._complete = False

    async def format(self) -> int | None:
        """The journal's format: None when there is none; a newer one than this runner's is refused."""
        return (await self._state())[0]

    async def exists(self) -> bool:
        return await self.format() is not None

    async def complete(self) -> bool:
        """All of the runner's tables exist in this runner's format."""
        return (await self._state()) == (FORMAT, 4)

    async def applied(self, *, texts: bool = True) -> list[Applied]:
        """Every journal row; an empty list when the journal does not exist yet (nothing is created).
        `texts=False` leaves out the SQL kept for each row (with_texts() reads one row's)."""
        version = await self.format()
        if version is None:
            return []
        query = f"applied_format_{version}" if version != FORMAT else "applied" if texts else "applied_without_texts"
        rows = await self.db.fetch(self.q[query][0])
        return [
            Applied(
                version=int(r["version"]), name=r["name"], checksum=r["checksum"], rollback_sql=r["rollback_sql"],
                rollback_checksum=r["rollback_checksum"], applied_at=_iso(r["applied_at"]),
                applied_by=r["applied_by"], duration_ms=r["duration_ms"], failed=bool(r["failed"]),
                applied_sql=r["applied_sql"], out_of_order=bool(r["out_of_order"]),
            )
            for r in rows
        ]

    async def with_texts(self, applied: Applied) -> Applied:
        """`applied` (read with texts=False) with the up and rollback SQL the journal keeps for it."""
        if await self.format() != FORMAT:  # runner 0.1.0's journal kept no up SQL
            return applied
        row = await self._one("applied_texts", version=applied.version)
        return applied._replace(applied_sql=row["applied_sql"], rollback_sql=row["rollback_sql"]) if row else applied

    async def events(self, limit: int = 1000) -> list[dict]:
        if not await self.exists():
            return []
        rows = await self.db.fetch(self.q["events"][0], {"limit": limit})
        return [dict(r, occurred_at=_iso(r["occurred_at"]), success=bool(r["success"])) for r in rows]

    async def repeatables(self) -> dict[str, tuple[str, str | None]]:
        """name -> (checksum, applied_at) of each repeatable's last run; {} without a journal."""
        if (await self._state())[1] < 3:  # a journal older than repeatables
            return {}
        rows = await self.db.fetch(self.q["repeatables"][0])
        return {r["name"]: (r["checksum"], _iso(r["applied_at"])) for r in rows}

    async def invalid_indexes(self) -> list[tuple[str, str]]:
        """(index, table) of every invalid index in the search path's schemas (PostgreSQL: what an
        unfinished CREATE INDEX CONCURRENTLY leaves; SQLite has none)."""
        if "invalid_indexes" not in self.q:
            return []
        return [(r["index"], r["table"]) for r in await self.db.fetch(self.q["invalid_indexes"][0])]

    async def lock_holders(self) -> list[dict]:
        """The sessions holding the runner's lock (PostgreSQL; SQLite cannot tell)."""
        return await self.db.fetch(self.q["lock_holders"][0]) if "lock_holders" in self.q else []

    async def table_lock_holders(self, tables: list[str]) -> list[dict]:
        """The sessions holding locks on `tables` (PostgreSQL; SQLite cannot tell)."""
        if not tables or "table_lock_holders" not in self.q:
            return []
        return await self.db.fetch(self.q["table_lock_holders"][0], {"tables": tables})

    # -- writes, as ops for a unit --------------------------------------------------------------------

    def lock(self) -> list[Sql]:
        """The runner's transaction lock (none on SQLite, where BEGIN IMMEDIATE is the lock)."""
        return self._ops("lock", Lock)

    def create(self) -> list[Sql]:
        """CREATE TABLE IF NOT EXISTS: also completes an older journal's tables."""
        return self._ops("create")

    def upgrade(self, version: int) -> tuple[Guard, list[Sql]]:
        """From format `version` to FORMAT: a guard (a row: another runner upgraded it meanwhile) and the
        statements, an event among them."""
        steps = [op for v in range(version, FORMAT) for op in self._ops(f"upgrade_{v}")]
        return self._ops("upgraded", Guard)[0], [*steps, *self.create(), *self.event(
            "upgrade", version=None, name=None, duration_ms=None,
            message=f"journal upgraded from format {version} to {FORMAT} by runner {self.runner_version}")]

    def up_done(self, version: int) -> Guard:
        """A row when another runner applied `version` meanwhile."""
        return self._ops("up_done", Guard, version=version)[0]

    def down_done(self, version: int) -> Guard:
        """A row when another runner rolled `version` back meanwhile."""
        return self._ops("down_done", Guard, version=version)[0]

    def record(self, m: Migration, *, failed: bool = False, duration_ms=ELAPSED_MS,
               out_of_order: bool = False) -> list[Sql]:
        rollback = m.rollback
        return self._ops("record", version=m.version, name=m.name, checksum=m.up.checksum,
                         rollback_checksum=rollback.checksum if rollback else None,
                         rollback_sql=rollback.sql if rollback else None, actor=actor(),
                         duration_ms=duration_ms, runner_version=self.runner_version, failed=failed,
                         applied_sql=_kept(m.up.sql), out_of_order=out_of_order)

    def mark_done(self, version: int, duration_ms: int) -> list[Sql]:
        return self._ops("mark_done", version=version, duration_ms=duration_ms)

    def mark_failed(self, version: int) -> list[Sql]:
        return self._ops("mark_failed", version=version)

    def remove(self, version: int) -> list[Sql]:
        return self._ops("remove", version=version)

    def update_checksums(self, m: Migration, keep_rollback: tuple[str | None, str | None]) -> list[Sql]:
        rollback_sql, rollback_checksum = (m.rollback.sql, m.rollback.checksum) if m.rollback else keep_rollback
        return self._ops("update_checksums", version=m.version, checksum=m.up.checksum,
                         rollback_sql=rollback_sql, rollback_checksum=rollback_checksum, applied_sql=_kept(m.up.sql))

    def event(self, action: str, *, version: int | None, name: str | None, checksum: str | None = None,
              duration_ms=ELAPSED_MS, success: bool = True, message: str | None = None) -> list[Sql]:
        return self._ops("event", action=action, version=version, name=name, checksum=checksum,
                         duration_ms=duration_ms, success=success, actor=actor(),
                         runner_version=self.runner_version, message=message)

    def seed_params(self, scale: int) -> list[Sql]:
        """The seed's one parameter, as a temporary table `runner_seed(scale)` it can select from."""
        return self._ops("seed_params", scale=scale)

    def drop_seed_params(self) -> list[Sql]:
        return self._ops("drop_seed_params")

    def repeatable_done(self, name: str, checksum: str) -> Guard:
        """A row when this very text of the repeatable has run already."""
        return self._ops("repeatable_done", Guard, name=name, checksum=checksum)[0]

    def record_repeatable(self, name: str, checksum: str) -> list[Sql]:
        return self._ops("record_repeatable", name=name, checksum=checksum, actor=actor(),
                         duration_ms=ELAPSED_MS, runner_version=self.runner_version)

    def forget_repeatables(self) -> list[Sql]:
        return self._ops("forget_repeatables")
