"""The journal: named queries from journal/<dialect>.sql, run through a driver."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from pathlib import Path

from .model import Applied, Migration
from .split import split_sqlite

JOURNAL_DIR = Path(__file__).resolve().parent.parent / "journal"
_BLOCK = re.compile(r"^-- name: (\w+)\s*$", re.M)


@functools.cache
def queries(dialect: str) -> dict[str, list[str]]:
    """Named blocks of journal/<dialect>.sql, each split into its statements."""
    text = (JOURNAL_DIR / f"{dialect}.sql").read_text(encoding="utf-8")
    parts = _BLOCK.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]; the journal's SQL is plain enough for
    # SQLite's tokenizer to split it on both dialects.
    return {name: [s.sql for s in split_sqlite(body)] for name, body in zip(parts[1::2], parts[2::2])}


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


Query = tuple[str, dict]  # one statement of a named query, with its :named parameters


class Journal:
    def __init__(self, db, runner_version: str):
        self.db = db
        self.q = queries(db.dialect)
        self.runner_version = runner_version

    def statements(self, query: str, /, **params) -> list[Query]:
        """A named query as statements to hand to a driver (see Driver.run_step) rather than run now."""
        return [(sql, params) for sql in self.q[query]]

    async def _run(self, query: str, /, **params) -> None:
        for sql, values in self.statements(query, **params):
            await self.db.execute(sql, values)

    async def _run_all(self, statements: list[Query]) -> None:
        for sql, values in statements:
            await self.db.execute(sql, values)

    async def _one(self, query: str, /, **params) -> dict | None:
        rows = await self.db.fetch(self.q[query][0], params)
        return rows[0] if rows else None

    async def exists(self) -> bool:
        return bool((await self._one("exists"))["n"])

    async def complete(self) -> bool:
        """All of the runner's tables exist (a journal from an older runner may lack newer ones)."""
        return (await self._one("exists"))["tables"] == 3

    async def create(self) -> None:
        await self._run("create")  # CREATE TABLE IF NOT EXISTS: also completes an older journal

    async def applied(self) -> list[Applied]:
        """Every journal row; an empty list when the journal does not exist yet (nothing is created)."""
        if not await self.exists():
            return []
        rows = await self.db.fetch(self.q["applied"][0], {})
        return [
            Applied(
                version=int(r["version"]), name=r["name"], checksum=r["checksum"], rollback_sql=r["rollback_sql"],
                rollback_checksum=r["rollback_checksum"], applied_at=_iso(r["applied_at"]),
                applied_by=r["applied_by"], duration_ms=r["duration_ms"], failed=bool(r["failed"]),
            )
            for r in rows
        ]

    async def is_recorded(self, version: int) -> bool:
        return bool((await self._one("is_recorded", version=version))["n"])

    def done_sql(self, action: str, version: int) -> Query:
        """The re-read of a step under the lock: a query that returns a row when another runner did it already."""
        return self.statements(f"{action}_done", version=version)[0]

    def record_sql(self, m: Migration, duration_ms: int, *, failed: bool = False) -> list[Query]:
        rollback = m.rollback
        return self.statements(
            "record", version=m.version, name=m.name, checksum=m.up.checksum,
            rollback_checksum=rollback.checksum if rollback else None,
            rollback_sql=rollback.sql if rollback else None,
            actor=actor(), duration_ms=duration_ms, runner_version=self.runner_version, failed=failed,
        )

    async def record(self, m: Migration, duration_ms: int, *, failed: bool = False) -> None:
        await self._run_all(self.record_sql(m, duration_ms, failed=failed))

    async def mark_done(self, version: int, duration_ms: int) -> None:
        await self._run("mark_done", version=version, duration_ms=duration_ms)

    async def mark_failed(self, version: int) -> None:
        await self._run("mark_failed", version=version)

    def remove_sql(self, version: int) -> list[Query]:
        return self.statements("remove", version=version)

    async def remove(self, version: int) -> None:
        await self._run_all(self.remove_sql(version))

    async def update_checksums(self, m: Migration, keep_rollback: tuple[str | None, str | None]) -> None:
        rollback_sql, rollback_checksum = (m.rollback.sql, m.rollback.checksum) if m.rollback else keep_rollback
        await self._run("update_checksums", version=m.version, checksum=m.up.checksum,
                        rollback_sql=rollback_sql, rollback_checksum=rollback_checksum)

    def event_sql(self, action: str, *, version: int | None, name: str | None, checksum: str | None = None,
                  duration_ms: int | None = None, success: bool = True, message: str | None = None) -> list[Query]:
        return self.statements("event", action=action, version=version, name=name, checksum=checksum,
                               duration_ms=duration_ms, success=success, actor=actor(),
                               runner_version=self.runner_version, message=message)

    async def event(self, action: str, *, version: int | None, name: str | None, checksum: str | None = None,
                    duration_ms: int | None = None, success: bool = True, message: str | None = None) -> None:
        await self._run_all(self.event_sql(action, version=version, name=name, checksum=checksum,
                                           duration_ms=duration_ms, success=success, message=message))

    async def events(self, limit: int = 1000) -> list[dict]:
        if not await self.exists():
            return []
        rows = await self.db.fetch(self.q["events"][0], {"limit": limit})
        return [dict(r, occurred_at=_iso(r["occurred_at"]), success=bool(r["success"])) for r in rows]

    def seed_params_sql(self, scale: int) -> list[Query]:
        return self.statements("seed_params", scale=scale)

    def drop_seed_params_sql(self) -> list[Query]:
        return self.statements("drop_seed_params")

    async def repeatables(self) -> dict[str, tuple[str, str | None]]:
        """name -> (checksum, applied_at) of each repeatable's last run; {} without a journal."""
        if not await self.complete():
            return {}
        rows = await self.db.fetch(self.q["repeatables"][0], {})
        return {r["name"]: (r["checksum"], _iso(r["applied_at"])) for r in rows}

    async def repeatable_checksum(self, name: str) -> str | None:
        row = await self._one("repeatable_checksum", name=name)
        return row["checksum"] if row else None

    def repeatable_done_sql(self, name: str, checksum: str) -> Query:
        """The re-read under the lock: a row when this very text of the repeatable has run already."""
        return self.statements("repeatable_done", name=name, checksum=checksum)[0]

    def record_repeatable_sql(self, name: str, checksum: str, duration_ms: int) -> list[Query]:
        return self.statements("record_repeatable", name=name, checksum=checksum, actor=actor(),
                               duration_ms=duration_ms, runner_version=self.runner_version)

    async def record_repeatable(self, name: str, checksum: str, duration_ms: int) -> None:
        await self._run_all(self.record_repeatable_sql(name, checksum, duration_ms))

    async def forget_repeatables(self) -> None:
        await self._run("forget_repeatables")

    async def seed_params(self, scale: int) -> None:
        await self._run_all(self.seed_params_sql(scale))

    async def drop_seed_params(self) -> None:
        await self._run_all(self.drop_seed_params_sql())
