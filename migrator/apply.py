"""Each kind of step, built from the one step transaction (steps.py) and run, one at a time.

`Applier` turns a migration, a rollback, a repeatable, a seed (or a whole `--single-transaction`
run, a baseline, a repair) into the parts of a step, runs it with `run_step`, retries a step that
failed waiting for a lock, writes the event of a failed step, and reports each completed step
(`on_progress`) once the driver says it is durable.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Callable

from .drivers import Driver, Guard, Sql
from .errors import ConfigError, MigratorError, ScriptError, StatementError
from .datachecks import data_checks
from .plan import invalid_index
from .sqlfacts import facts, indexes_created
from .journal import Journal
from .model import Migration, Repeatable, Rollback, Seed, StepResult, directives
from .split import line_of, split
from .steps import Part, run_step


class Applier:
    def __init__(self, db: Driver, journal: Journal, *, retries: int, on_progress: Callable[[StepResult], None]):
        self.db, self.journal, self.retries, self.on_progress = db, journal, retries, on_progress
        self._unreported: list[StepResult] = []  # done, not yet durable

    # -- the kinds of step ---------------------------------------------------------------------------

    async def migration(self, m: Migration, *, out_of_order: bool = False) -> StepResult | None:
        """Apply one migration; None when another runner applied it meanwhile. `out_of_order`: it is
        older than the newest applied one (`up --allow-out-of-order`), and recorded so."""
        if m.up.no_transaction:
            checks = data_checks(m, self.db.dialect)
            return await self._outside_transaction(
                "up", m.version, m.name, m.up.checksum, m.up.sql, m.up.display_path,
                guard=self.journal.up_done(m.version),
                started=Part(None, m.up.display_path, before=tuple(c for c in checks if c.when == "before"),
                             record=tuple(self.journal.record(m, failed=True, duration_ms=0,
                                                              out_of_order=out_of_order))),
                finished=lambda ms: Part(None, m.up.display_path,
                                         checks=tuple(c for c in checks if c.when == "after"),
                                         record=tuple(self.journal.mark_done(m.version, ms))))
        return await self._step("up", m.version, m.name, m.up.checksum, m.up.display_path,
                                self.journal.up_done(m.version), [self.up_part(m, out_of_order=out_of_order)])

    async def rollback(self, step: Rollback) -> StepResult | None:
        """Roll back one migration; None when another runner rolled it back meanwhile."""
        display = step.source
        if step.source == "journal":
            display = f"rollbacks/{step.label}.sql (copy stored in the journal)"
        checksum = step.migration.up.checksum if step.migration else None
        if "no-transaction" in directives(step.sql):
            return await self._outside_transaction(
                "down", step.version, step.name, checksum, step.sql, display,
                guard=self.journal.down_done(step.version),
                started=Part(None, display, record=tuple(self.journal.mark_failed(step.version))),
                finished=lambda ms: Part(None, display, record=tuple(self.journal.remove(step.version))))
        part = Part(step.sql, display, record=(
            *self.journal.remove(step.version),
            *self.journal.event("down", version=step.version, name=step.name, checksum=checksum, message=display)))
        return await self._step("down", step.version, step.name, checksum, display,
                                self.journal.down_done(step.version), [part])

    async def repeatable(self, r: Repeatable) -> StepResult | None:
        part = Part(r.script.sql, r.script.display_path, record=(
            *self.journal.record_repeatable(r.name, r.script.checksum),
            *self.journal.event("repeatable", version=None, name=r.name, checksum=r.script.checksum,
                                message=r.script.display_path)))
        return await self._step("repeatable", None, r.name, r.script.checksum, r.script.display_path,
                                self.journal.repeatable_done(r.name, r.script.checksum), [part])

    async def seed(self, seed: Seed, scale: int) -> StepResult | None:
        part = Part(seed.script.sql, seed.script.display_path, before=tuple(self.journal.seed_params(scale)),
                    record=(*self.journal.drop_seed_params(), *self.journal.event(
                        "seed", version=seed.version, name=seed.name, checksum=seed.script.checksum,
                        message=seed.script.display_path)))
        return await self._step("seed", seed.version, seed.name, seed.script.checksum, seed.script.display_path,
                                None, [part])  # no guard: seeds are written to be re-run

    async def all_at_once(self, todo: list[Migration], *, out_of_order: set[int] = frozenset()) -> list[StepResult]:
        """--single-transaction: every pending migration in one transaction, all or nothing."""
        outside = [m.label for m in todo if m.up.no_transaction]
        if outside:
            raise ConfigError(f"--single-transaction cannot include no-transaction migrations: {', '.join(outside)}")
        if not todo:
            return []
        start = time.perf_counter()
        try:
            outcome = await run_step(self.db, self.journal.lock(), self.journal.up_done(todo[0].version),
                                     [self.up_part(m, "single transaction", out_of_order=m.version in out_of_order)
                                      for m in todo])
        except ScriptError as err:
            err.message += "\n--single-transaction: every migration of this run was rolled back"
            failed = next((m for m in todo if err.path in (m.up.display_path, m.checks and m.checks.display_path)),
                          todo[-1])  # the migration whose file or data check failed
            await self._log_failure("up", failed.version, failed.name, failed.up.checksum, err)
            raise
        if outcome.skipped:
            raise MigratorError("another runner applied some of these migrations meanwhile; nothing was changed "
                                "by this run (run `up` again)")
        took = _ms(start)
        return [self._done(StepResult("up", m.version, m.name, took, m.up.display_path), outcome.durable)
                for m in todo]

    async def test(self, todo: list[Migration], *, journal_writes: list[Sql]) -> list[StepResult]:
        """`up --test`: every migration in one transaction that is rolled back at the end."""
        outside = [m.label for m in todo if m.up.no_transaction]
        if outside:
            raise ConfigError(
                f"up --test cannot test {', '.join(outside)}: a no-transaction file (CREATE INDEX "
                "CONCURRENTLY …) cannot run inside the transaction that --test rolls back; "
                "use --dry-run to review its SQL")
        parts = [Part(None, "(the journal)", record=tuple(journal_writes))] if journal_writes else []
        start = time.perf_counter()
        try:
            await run_step(self.db, self.journal.lock(), None, parts + [self.up_part(m, "tested") for m in todo],
                           keep=False)
        except MigratorError as exc:
            exc.message += ("\nup --test: this is what would fail; everything was rolled back, "
                            "the database is unchanged")
            raise
        took = _ms(start)
        results = [StepResult("test", m.version, m.name, took, m.up.display_path) for m in todo]
        for r in results:
            self.on_progress(r)
        return results

    async def baseline(self, todo: list[Migration]) -> list[StepResult]:
        """Record each migration as applied without running it, all in one transaction."""
        parts = [Part(None, m.up.display_path, record=(
            *self.journal.record(m, duration_ms=0),
            *self.journal.event("baseline", version=m.version, name=m.name, checksum=m.up.checksum,
                                duration_ms=0, message="recorded as applied without running it")))
            for m in todo]
        outcome = await run_step(self.db, self.journal.lock(), self.journal.up_done(todo[0].version), parts)
        if outcome.skipped:
            raise MigratorError("baseline refuses: another runner recorded migrations meanwhile")
        return [self._done(StepResult("baseline", m.version, m.name, 0, m.up.display_path), outcome.durable)
                for m in todo]

    async def bookkeeping(self, writes: list[Sql], what: str = "(the journal)", *, guard: Guard | None = None) -> None:
        """The runner's own writes (creating or upgrading the journal, a repair) in a transaction under the lock."""
        if writes:
            await run_step(self.db, self.journal.lock(), guard, [Part(None, what, record=tuple(writes))])

    def up_part(self, m: Migration, how: str = "", *, out_of_order: bool = False) -> Part:
        """A migration's SQL between its data checks, then its journal row and event."""
        checks = data_checks(m, self.db.dialect)
        how = ", ".join(filter(None, [how, "out of order" if out_of_order else ""]))
        return Part(m.up.sql, m.up.display_path,
                    before=tuple(c for c in checks if c.when == "before"),
                    checks=tuple(c for c in checks if c.when == "after"),
                    record=(*self.journal.record(m, out_of_order=out_of_order),
                            *self.journal.event("up", version=m.version, name=m.name, checksum=m.up.checksum,
                                                message=m.up.display_path + (f" ({how})" if how else ""))))

    # -- running one ----------------------------------------------------------------------------------

    async def _step(self, action: str, version: int | None, name: str, checksum: str | None, display_path: str,
                    guard: Guard | None, parts: list[Part]) -> StepResult | None:
        """One step in its transaction, tried again (with backoff) when it failed waiting for a lock."""
        start = time.perf_counter()
        for attempt in range(1, self.retries + 2):
            try:
                outcome = await run_step(self.db, self.journal.lock(), guard, parts)
                break
            except ScriptError as err:
                await self._log_failure(action, version, name, checksum, err)  # each failed try
                if not err.lock_timeout or attempt > self.retries:
                    if err.lock_timeout:
                        err.message += await self._who_holds(parts)
                    raise
                if err.lost:  # SQLite rolled back the group: its steps, all unreported, were never done
                    self._unreported.clear()
                await self.db.flush()  # what was done before is durable and reported before the wait
                self._report()
                delay = min(30.0, 0.5 * 2 ** (attempt - 1))
                self.on_progress(StepResult("retry", version, name, int(delay * 1000),
                                            f"{err.db_message}; attempt {attempt + 1} of {self.retries + 1}"))
                await asyncio.sleep(delay)
        if outcome.skipped:  # another runner did it while we waited for the lock
            return None
        return self._done(StepResult(action, version, name, _ms(start), display_path), outcome.durable)

    async def _outside_transaction(self, action: str, version: int, name: str, checksum: str | None,
                                   sql: str, display_path: str, *, guard: Guard, started: Part,
                                   finished: Callable[[int], Part]) -> StepResult | None:
        """A `-- runner: no-transaction` file: statement by statement, marked failed until it completes.

        `started` (its before-checks, the journal marked failed) commits first, `finished` (its
        after-checks, the journal marked done) last. A crash, a failing statement or a failing
        after-check leaves the journal row marked failed, which blocks `up` until a person has
        looked and run `repair`.
        """
        try:
            statements = split(sql, self.db.dialect)
        except StatementError as exc:
            raise ScriptError(display_path, line_of(sql, exc.offset), exc.message) from None
        try:
            outcome = await run_step(self.db, self.journal.lock(), guard, [started])
        except ScriptError as err:
            await self._log_failure(action, version, name, checksum, err)
            raise
        if outcome.skipped:
            return None
        start = time.perf_counter()
        for number, statement in enumerate(statements, 1):
            try:
                await self.db.run_script(statement.sql)
            except StatementError as exc:
                offset = statement.offset + (exc.offset or 0)
                err = ScriptError(display_path, line_of(sql, offset), exc.message, detail=exc.detail, hint=exc.hint)
                err.message += (f"\nthis file runs outside a transaction: {number - 1} of {len(statements)} "
                                "statements completed and stay; it is marked failed until you fix the database "
                                "and run `repair`")
                err.message += "".join(f"\n{invalid_index(i, t)}" for i, t in await self._invalid_indexes_of(sql))
                await self._log_failure(action, version, name, checksum, err)
                raise err from None
        await self._refuse_invalid_indexes(sql, display_path, action, version, name, checksum)
        duration_ms = _ms(start)
        done = finished(duration_ms)
        done = dataclasses.replace(done, record=(*done.record, *self.journal.event(
            action, version=version, name=name, checksum=checksum, duration_ms=duration_ms, message=display_path)))
        try:
            outcome = await run_step(self.db, self.journal.lock(), None, [done])
        except ScriptError as err:  # an after-check: the statements stay, the file stays marked failed
            err.message += ("\nthis file ran outside a transaction: its statements completed and stay; it is "
                            "marked failed until you fix the database and run `repair`")
            await self._log_failure(action, version, name, checksum, err)
            raise
        return self._done(StepResult(action, version, name, duration_ms, display_path), outcome.durable)

    async def _refuse_invalid_indexes(self, sql: str, display_path: str, action: str, version: int, name: str,
                                      checksum: str | None) -> None:
        """`CREATE INDEX CONCURRENTLY IF NOT EXISTS` skips an invalid index an earlier, unfinished run
        left: the file "succeeds" and the index serves no query. It stays marked failed instead."""
        invalid = await self._invalid_indexes_of(sql)
        if invalid:
            err = ScriptError(display_path, None, "; ".join(invalid_index(i, t) for i, t in invalid)
                              + "\nthe file stays marked failed until then")
            await self._log_failure(action, version, name, checksum, err)
            raise err

    async def _invalid_indexes_of(self, sql: str) -> list[tuple[str, str]]:
        """The invalid indexes among those the file creates."""
        created = indexes_created(sql, self.db.dialect)
        if not created:
            return []
        try:
            return [(i, t) for i, t in await self.journal.invalid_indexes() if i in created]
        except Exception:  # an explanation must never hide the failure it explains
            return []

    async def _who_holds(self, parts: list[Part]) -> str:
        """Lines naming the sessions that hold locks on the tables the step's SQL touches."""
        tables = sorted({f.table or f.name for p in parts if p.sql for f in facts(p.sql, self.db.dialect)
                         if f.table or f.kind == "table"} - {None})
        try:
            holders = await self.journal.table_lock_holders(tables)
        except Exception:  # an explanation must never hide the failure it explains
            return ""
        return "".join(f"\n{row['relation']}: locked by {describe_session(row)}" for row in holders)

    async def _log_failure(self, action: str, version: int | None, name: str, checksum: str | None,
                           err: MigratorError) -> None:
        # A transaction of its own: the failed step's has been rolled back.
        with contextlib.suppress(Exception):
            await run_step(self.db, [], None, [Part(None, "(the journal)", record=tuple(self.journal.event(
                action, version=version, name=name, checksum=checksum, duration_ms=None, success=False,
                message=err.message)))])

    # -- reporting what is durable --------------------------------------------------------------------

    def _done(self, result: StepResult, durable: bool) -> StepResult:
        self._unreported.append(result)
        if durable:
            self._report()
        return result

    def _report(self) -> None:
        for result in self._unreported:
            self.on_progress(result)
        self._unreported.clear()

    async def finish(self, exc: BaseException | None) -> None:
        """At the end of a command that changed the database: every step it completed is made
        durable and reported, before the command returns or raises `exc`."""
        if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
            # The database may have rolled back more than the step in progress: report nothing more.
            self._unreported.clear()
        elif getattr(exc, "lost", False):
            # rolled back by the database with the failed step: every step not yet reported (a step
            # is reported once durable, so those are exactly the steps of the lost group)
            self._unreported.clear()
        if exc is None:
            await self.db.flush()
        else:
            with contextlib.suppress(Exception):
                await self.db.flush()
        self._report()


def _ms(start: float) -> int:
    return int(round((time.perf_counter() - start) * 1000))


def describe_session(row: dict) -> str:
    """`pid 4242 (user app, application psql, idle in transaction since 2026-11-30T13:00:00Z)`."""
    return (f"pid {row['pid']} (user {row['user']}, application {row['application'] or '-'}, "
            f"{row['state'] or 'state unknown'} since {row['query_start'] or '?'})")
