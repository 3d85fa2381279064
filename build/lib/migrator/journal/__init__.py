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
from ..model import Applied, Migration
from ..split import split_sqlite

_BLOCK = re.compile(r"^-- name: (\w+)\s*$", re.M)


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
    import getpass  # here: read-only commands never need them
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


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

    def _ops(self, query: str, kind=Sql, /, **params) -> list[Sql]:
        return [kind(sql, params) for sql in self.q.get(query, [])]

    async def _one(self, query: str, /, **params) -> dict | None:
        rows = await self.db.fetch(self.q[query][0], params)
        return rows[0] if rows else None

    # -- reads ---------------------------------------------------------------------------------------

    async def exists(self) -> bool:
        return bool((await self._one("exists"))["n"])

    async def complete(self) -> bool:
        """All of the runner's tables exist (a journal from an older runner may lack newer ones)."""
        return (await self._one("exists"))["tables"] == 3

    async def applied(self) -> list[Applied]:
        """Every journal row; an empty list when the journal does not exist yet (nothing is created)."""
        if not await self.exists():
            return []
        rows = await self.db.fetch(self.q["applied"][0])
        return [
            Applied(
                version=int(r["version"]), name=r["name"], checksum=r["checksum"], rollback_sql=r["rollback_sql"],
                rollback_checksum=r["rollback_checksum"], applied_at=_iso(r["applied_at"]),
                applied_by=r["applied_by"], duration_ms=r["duration_ms"], failed=bool(r["failed"]),
            )
            for r in rows
        ]

    async def events(self, limit: int = 1000) -> list[dict]:
        if not await self.exists():
            return []
        rows = await self.db.fetch(self.q["events"][0], {"limit": limit})
        return [dict(r, occurred_at=_iso(r["occurred_at"]), success=bool(r["success"])) for r in rows]

    async def repeatables(self) -> dict[str, tuple[str, str | None]]:
        """name -> (checksum, applied_at) of each repeatable's last run; {} without a journal."""
        if not await self.complete():
            return {}
        rows = await self.db.fetch(self.q["repeatables"][0])
        return {r["name"]: (r["checksum"], _iso(r["applied_at"])) for r in rows}

    # -- writes, as ops for a unit --------------------------------------------------------------------

    def lock(self) -> list[Sql]:
        """The runner's transaction lock (none on SQLite, where BEGIN IMMEDIATE is the lock)."""
        return self._ops("lock", Lock)

    def create(self) -> list[Sql]:
        """CREATE TABLE IF NOT EXISTS: also completes an older journal."""
        return self._ops("create")

    def up_done(self, version: int) -> Guard:
        """A row when another runner applied `version` meanwhile."""
        return self._ops("up_done", Guard, version=version)[0]

    def down_done(self, version: int) -> Guard:
        """A row when another runner rolled `version` back meanwhile."""
        return self._ops("down_done", Guard, version=version)[0]

    def record(self, m: Migration, *, failed: bool = False, duration_ms=ELAPSED_MS) -> list[Sql]:
        rollback = m.rollback
        return self._ops("record", version=m.version, name=m.name, checksum=m.up.checksum,
                         rollback_checksum=rollback.checksum if rollback else None,
                         rollback_sql=rollback.sql if rollback else None, actor=actor(),
                         duration_ms=duration_ms, runner_version=self.runner_version, failed=failed)

    def mark_done(self, version: int, duration_ms: int) -> list[Sql]:
        return self._ops("mark_done", version=version, duration_ms=duration_ms)

    def mark_failed(self, version: int) -> list[Sql]:
        return self._ops("mark_failed", version=version)

    def remove(self, version: int) -> list[Sql]:
        return self._ops("remove", version=version)

    def update_checksums(self, m: Migration, keep_rollback: tuple[str | None, str | None]) -> list[Sql]:
        rollback_sql, rollback_checksum = (m.rollback.sql, m.rollback.checksum) if m.rollback else keep_rollback
        return self._ops("update_checksums", version=m.version, checksum=m.up.checksum,
                         rollback_sql=rollback_sql, rollback_checksum=rollback_checksum)

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
