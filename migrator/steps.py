"""The step transaction, written once.

Every change the runner makes is a step: one transaction that takes the runner's lock, re-reads
the journal under it (a guard: another runner may have done this step meanwhile), runs the
file's SQL between its data checks, writes the journal row and the event, checks what the
database would refuse at commit, and commits. The file and its journal row commit together or
not at all, so a failure leaves no trace of the step and keeps every earlier one.

`up`, `down`, seeds, repeatables, `--single-transaction` and `up --test` (several parts in one
transaction), `baseline`, `repair` and the bookkeeping of no-transaction files all go through
`run_step`. The driver receives the whole transaction at once (a Unit) and sends it in as few
trips as it can.
"""
from __future__ import annotations

from dataclasses import dataclass

from .drivers import Check, Driver, Guard, Integrity, Outcome, Script, Sql, Unit
from .errors import CheckFailed, ScriptError, StatementError
from .model import DataCheck
from .split import line_of


@dataclass(frozen=True)
class Part:
    """One file's share of a step: its SQL between its checks, then its journal writes."""

    sql: str | None  # None: nothing of the project's runs (baseline, repair)
    path: str  # the file, for messages
    before: tuple[Sql | DataCheck, ...] = ()  # after the guard, before the SQL (a seed's parameters)
    checks: tuple[DataCheck, ...] = ()
    record: tuple[Sql, ...] = ()


async def run_step(db: Driver, lock: list[Sql], guard: Guard | None, parts: list[Part], *,
                   keep: bool = True) -> Outcome:
    """One transaction: lock → guard → each part (before-checks, SQL, after-checks, journal
    writes) → integrity check → commit. A failure raises ScriptError naming the file and line;
    `outcome.skipped` when the guard found the step done."""
    ops: list = [*lock] + ([guard] if guard is not None else [])
    origins: dict[int, tuple[Part, DataCheck | None]] = {}
    for part in parts:
        for op in part.before:
            ops.append(_op(op, part, ops, origins))
        if part.sql is not None:
            origins[len(ops)] = (part, None)
            ops.append(Script(part.sql))
        for check in part.checks:
            ops.append(_op(check, part, ops, origins))
        ops.extend(part.record)
    if any(p.sql is not None for p in parts):
        ops.append(Integrity())
    try:
        return await db.run_unit(Unit(tuple(ops), keep=keep))
    except StatementError as exc:
        raise _located(exc, ops, origins, parts) from None


def _op(item, part: Part, ops: list, origins: dict):
    if isinstance(item, DataCheck):
        origins[len(ops)] = (part, item)
        # the first column counts every offending row; three of them are shown
        query = item.sql.strip().rstrip(";")
        return Check(f"SELECT count(*) OVER () AS runner_rows, q.* FROM (\n{query}\n) AS q LIMIT 3")
    return item


def _located(exc: StatementError, ops: list, origins: dict, parts: list[Part]) -> ScriptError:
    """The driver's failure as the user reads it: file:line: message."""
    part, check = origins.get(exc.op, (None, None))
    if check is not None and isinstance(exc, CheckFailed):
        err = ScriptError(check.path, check.line, f"{check.when}-check failed: {_describe(exc.rows)}")
    elif part is not None and part.sql is not None and isinstance(ops[exc.op], Script):
        err = ScriptError(part.path, line_of(part.sql, exc.offset), exc.message, detail=exc.detail, hint=exc.hint)
    else:
        # Not a statement of a file: a journal write, or what the database refused at commit
        # (SQLite's foreign keys, a deferred constraint). The step's (last) file is named.
        path = check.path if check else part.path if part else (parts[-1].path if parts else "(the runner)")
        err = ScriptError(path, check.line if check else None, exc.message, detail=exc.detail, hint=exc.hint)
    err.lock_timeout = exc.lock_timeout
    err.lost = exc.lost
    return err


def _describe(rows: list[tuple]) -> str:
    """`3 row(s), e.g. (2, NULL), …` from rows whose first column counts them all."""
    count = rows[0][0] if rows else 0
    shown = ", ".join("(" + ", ".join("NULL" if v is None else repr(v) if isinstance(v, str) else str(v)
                                      for v in row[1:]) + ")" for row in rows)
    return f"{count} row(s), e.g. {shown}" + (", …" if count > len(rows) else "")
