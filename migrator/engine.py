"""The engine: every command as an async method over one connection. It never prints.

Each public method reads like its algorithm: lock → journal → verify → plan → apply each step
in its own transaction together with its journal row, so a failure leaves no trace of the
failed step and keeps every earlier one.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from . import plan
from .drivers import Driver, Query, StepSQL, open_driver
from .errors import (
    ConfigError,
    ConnectionLost,
    DatabaseError,
    MigratorError,
    ProblemsFound,
    ScriptError,
    StatementError,
    Stopped,
)
from .files import discover
from .journal import Journal
from .model import (
    FILE_PROBLEMS,
    Applied,
    Migration,
    MigrationStatus,
    Problem,
    ProblemKind,
    Project,
    Repeatable,
    RepeatableStatus,
    Seed,
    Step,
    StepResult,
    directives,
)
from .reset import drop_everything
from .settings import setting
from .split import line_of
from .url import DEFAULT_URL, DatabaseURL, parse

Progress = Callable[[StepResult], None]


@dataclass(frozen=True)
class StatusReport:
    dialect: str
    current: int | None
    migrations: list[MigrationStatus]
    repeatables: list[RepeatableStatus]

    def as_json(self) -> dict:
        return {"dialect": self.dialect, "current": self.current,
                "migrations": [m.as_json() for m in self.migrations],
                "repeatables": [r.as_json() for r in self.repeatables]}


@dataclass(frozen=True)
class ResetResult:
    dropped: list[str]  # "table users", "view kpi_summary", …
    applied: list[StepResult]
    seeded: list[StepResult]


def check_reset_allowed(url: DatabaseURL, *, force: bool) -> None:
    """`reset` is for development databases: raise ConfigError where it must refuse."""
    if os.environ.get("RUNNER_ENV", "").lower() == "production":
        raise ConfigError("reset refuses: RUNNER_ENV=production, and reset drops every object in the "
                          "database; unset RUNNER_ENV on a development machine")
    if not url.is_local and not force:
        raise ConfigError(f"reset refuses to drop everything in {url.display}: it is not a local database "
                          "(SQLite or a PostgreSQL server on localhost); add --force if you really mean it")


def resolve_url(url: str | None, project_dir: str | Path = ".") -> DatabaseURL:
    """--url, else $DATABASE_URL, else DATABASE_URL from the project's .env, else the SQLite default."""
    return parse(url or setting("DATABASE_URL", project_dir) or DEFAULT_URL)


class Migrator:
    """One database and one project directory.

    Use `async with Migrator.connect(url, project_dir) as m:`; read-only commands pass
    `read_only=True`, which never creates a SQLite file or the journal, and opens a connection
    on which the database itself refuses writes (SQLite `mode=ro`, PostgreSQL
    `default_transaction_read_only`). `stop`: once that event is set, a run finishes the step
    in progress and raises `Stopped` before the next one.
    """

    def __init__(self, db: Driver, url: DatabaseURL, project: Project, project_dir: Path, *,
                 read_only: bool, on_progress: Progress | None, retries: int = 0,
                 stop: asyncio.Event | None = None):
        from . import __version__
        self.db, self.url, self.project, self.project_dir = db, url, project, project_dir
        self.journal = Journal(db, __version__)
        self.read_only = read_only
        self.retries = retries
        self.on_progress = on_progress or (lambda result: None)
        self.stop = stop

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str | DatabaseURL | None = None, project_dir: str | Path = ".", *,
                      lock_wait: float = 30.0, lock_timeout: float | None = 5.0,
                      statement_timeout: float | None = None, retries: int = 0, read_only: bool = False,
                      on_progress: Progress | None = None,
                      stop: asyncio.Event | None = None) -> AsyncIterator["Migrator"]:
        """Discover the project's files, then connect.

        lock_wait: seconds to wait for another runner (then LockTimeout, exit 4).
        lock_timeout / statement_timeout (PostgreSQL): how long one statement of a migration may
        wait for a table lock / run; a migration that fails waiting for a lock is retried
        `retries` times with backoff instead of stalling every query queued behind it.
        stop: once set, a run finishes the step in progress and raises Stopped before the next.
        """
        parsed = url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
        project_dir = Path(project_dir)
        project = discover(project_dir, parsed.dialect)
        file_problems = [p for p in project.problems if p.kind in FILE_PROBLEMS]
        if file_problems and not read_only:
            raise ProblemsFound(file_problems, "the migration files have problems; the database was not touched:")
        pg_settings = {name: f"{int(seconds * 1000)}ms" for name, seconds in
                       (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout))
                       if seconds is not None}
        db = await open_driver(parsed, lock_wait=lock_wait, create=not read_only, pg_settings=pg_settings,
                               read_only=read_only)
        try:
            yield cls(db, parsed, project, project_dir, read_only=read_only, on_progress=on_progress,
                      retries=retries, stop=stop)
        except ConnectionLost as exc:
            raise DatabaseError(f"lost the connection to the database: {exc}; whatever was in flight was "
                                "rolled back by the server, the journal shows what was committed") from None
        except StatementError as exc:  # a journal query failed: not the user's SQL
            raise DatabaseError(f"the runner's own query failed: {exc.message}") from None
        finally:
            with contextlib.suppress(Exception):
                await db.close()

    # -- read-only ---------------------------------------------------------------------------

    async def applied(self) -> list[Applied]:
        return await self.journal.applied()

    async def current_version(self) -> int | None:
        """The newest applied version; None when nothing is. Read-only."""
        return plan.current_version(await self.applied())

    async def status(self) -> StatusReport:
        """Every known version with its state. Read-only."""
        applied = await self.applied()
        repeatables = plan.repeatable_states(self.project.repeatables, await self.journal.repeatables())
        return StatusReport(self.url.dialect, plan.current_version(applied),
                            plan.statuses(self.project.migrations, applied), repeatables)

    async def verify(self, *, strict: bool = False) -> list[Problem]:
        """Every problem with the files and the journal; `strict` also counts pending migrations. Read-only."""
        _read_rollbacks(self.project.migrations)
        return plan.verify(self.project, await self.applied(), strict=strict)

    async def events(self, limit: int = 1000) -> list[dict]:
        return await self.journal.events(limit)

    async def plan_up(self, to: int | None = None) -> list[Migration]:
        """What `up` would apply, in order; raises ProblemsFound where `up` would refuse. Read-only."""
        applied = await self.applied()
        self._refuse_if_blocked(applied)
        return plan.plan_up(self.project.migrations, applied, to)

    async def plan_repeatables(self) -> list[Repeatable]:
        """Repeatables that are new or changed since their last run, in name order. Read-only."""
        states = {s.name: s.state for s in plan.repeatable_states(self.project.repeatables,
                                                                  await self.journal.repeatables())}
        return [r for r in self.project.repeatables if states[r.name] != "current"]

    async def plan_down(self, count: int | None = None, *, to: int | None = None,
                        everything: bool = False) -> list[Step]:
        """What `down` would roll back, newest first, with the SQL it would run. Read-only."""
        return plan.plan_down(self.project.migrations, await self.applied(), count=count, to=to,
                              everything=everything)

    # -- changing the database -------------------------------------------------------------------

    async def up(self, to: int | None = None, *, single_transaction: bool = False,
                 before: Callable[[list[Migration]], Awaitable[None]] | None = None) -> list[StepResult]:
        """Apply the pending migrations (up to `to`), then the new or changed repeatables.

        `before(pending)` runs under the run lock once the pending migrations are known, and
        only when there are some: a backup taken there is of the database as this run found it.
        """
        async with self._run_lock():
            return await self._up(to, single_transaction=single_transaction, before=before)

    async def _up(self, to: int | None = None, *, single_transaction: bool = False,
                  before: Callable[[list[Migration]], Awaitable[None]] | None = None) -> list[StepResult]:
        await self._ensure_journal()
        todo = await self.plan_up(to)
        _read_rollbacks(todo)
        if todo and before is not None:
            await before(todo)
        if single_transaction:
            done = await self._apply_all_at_once(todo)
        else:
            done = await self._each(todo, self._apply)
        if to is None:  # repeatables follow the newest schema, so only a full `up` runs them
            try:
                done += await self._each(await self.plan_repeatables(), self._apply_repeatable)
            except MigratorError as exc:
                exc.done = done + exc.done  # the migrations applied before it count too
                raise
        return done

    async def up_test(self, to: int | None = None) -> list[StepResult]:
        """Apply every pending migration inside one transaction on the real database, then roll it
        all back: what would fail fails here, and the database is left exactly as it was."""
        async with self._run_lock():
            applied = await self.applied()
            self._refuse_if_blocked(applied)
            todo = plan.plan_up(self.project.migrations, applied, to)
            _read_rollbacks(todo)
            outside = [m.label for m in todo if m.up.no_transaction]
            if outside:
                raise ConfigError(
                    f"up --test cannot test {', '.join(outside)}: a no-transaction file (CREATE INDEX "
                    "CONCURRENTLY …) cannot run inside the transaction that --test rolls back; "
                    "use --dry-run to review its SQL")
            results: list[StepResult] = []
            current: Migration | None = None
            try:
                async with self.db.transaction(check=False):
                    if not await self.journal.exists():
                        await self.journal.create()  # rolled back with the rest
                    for current in todo:
                        start = time.perf_counter()
                        await self._run_script(current.up.sql, current.up.display_path)
                        await self.db.check_integrity()
                        await self.journal.record(current, _ms(start))
                        results.append(StepResult("test", current.version, current.name, _ms(start),
                                                  current.up.display_path))
                        self.on_progress(results[-1])
                    raise _RollBack
            except _RollBack:
                pass
            except StatementError as exc:  # from check_integrity
                raise ScriptError(current.up.display_path, None, exc.message + _TEST_FAILED, detail=exc.detail,
                                  hint=exc.hint, done=results) from None
            except MigratorError as exc:
                exc.message += _TEST_FAILED
                exc.done = results
                raise
            return results

    async def down(self, count: int | None = None, *, to: int | None = None,
                   everything: bool = False) -> list[StepResult]:
        async with self._run_lock():
            await self._ensure_journal()
            done = await self._each(await self.plan_down(count, to=to, everything=everything), self._roll_back)
            await self._after_rollback(done)
            return done

    async def _after_rollback(self, done: list[StepResult]) -> None:
        # `down` leaves repeatable objects alone, but what they stand on may be gone now:
        # forget their runs so the next `up` runs them again.
        if done and self.project.repeatables:
            await self.journal.forget_repeatables()

    async def redo(self) -> list[StepResult]:
        """Roll back the newest migration and apply it again (its file may have been edited)."""
        async with self._run_lock():
            await self._ensure_journal()
            applied = await self.applied()
            newest = plan.current_version(applied)
            if newest is None:
                raise MigratorError("nothing to redo: no migration is applied")
            # Editing the newest migration and redoing it is the point; other problems still block.
            self._refuse_if_blocked(applied, allow_modified=newest)
            migration = self.project.by_version().get(newest)
            if migration is None:
                raise MigratorError(f"cannot redo {newest:04d}: its file is gone from sql/")
            steps = plan.plan_down(self.project.migrations, applied, count=1)
            done = await self._each(steps, self._roll_back)
            await self._after_rollback(done)
            done += await self._each([migration], self._apply)
            return done + await self._each(await self.plan_repeatables(), self._apply_repeatable)

    async def seed(self, names: list[str] | None = None, *, scale: int = 1000) -> list[StepResult]:
        """Run seeds/ (or the named ones) in order, each in a transaction; refuses while migrations are pending."""
        async with self._run_lock():
            return await self._seed_all(names, scale=scale)

    async def _seed_all(self, names: list[str] | None = None, *, scale: int = 1000) -> list[StepResult]:
        seeds = self._select_seeds(names or [])
        await self._ensure_journal()
        applied = await self.applied()
        self._refuse_if_blocked(applied)
        pending = plan.plan_up(self.project.migrations, applied)
        if pending:
            raise ProblemsFound(
                [Problem(ProblemKind.PENDING, f"{m.label} is not applied yet", m.version) for m in pending],
                f"{len(pending)} migration(s) pending; run `up` before seeding:")
        return await self._each(seeds, lambda s: self._seed(s, scale))

    async def reset(self, *, seed: bool = True, force: bool = False, scale: int = 1000) -> ResetResult:
        """Drop everything in the database, then `up` and (unless seed=False) the seeds.

        For development databases only: refuses unless the database is SQLite or a PostgreSQL
        server on this machine, or `force` is given; RUNNER_ENV=production refuses even then.
        """
        check_reset_allowed(self.url, force=force)
        async with self._run_lock():
            dropped = await drop_everything(self.db)
            applied = await self._up()
            seeded = await self._seed_all(scale=scale) if seed else []
        return ResetResult(dropped, applied, seeded)

    async def baseline(self, version: int) -> list[StepResult]:
        """Record every migration up to `version` as applied without running it."""
        async with self._run_lock():
            await self._ensure_journal()
            applied = await self.applied()
            if applied:
                raise MigratorError(f"baseline refuses: the journal already records {len(applied)} migration(s); "
                                    "baseline is for adopting a database the runner has never touched")
            if version not in self.project.by_version():
                raise ConfigError(f"baseline {version}: no migration in sql/ has version {version}")
            todo = [m for m in self.project.migrations if m.version <= version]
            async with self.db.transaction(check=False):
                for m in todo:
                    await self.journal.record(m, 0)
                    await self.journal.event("baseline", version=m.version, name=m.name, checksum=m.up.checksum,
                                             duration_ms=0, message="recorded as applied without running it")
            results = [StepResult("baseline", m.version, m.name, 0, m.up.display_path) for m in todo]
            for r in results:
                self.on_progress(r)
            return results

    async def repair(self) -> list[str]:
        """Accept today's files: re-record changed checksums and clear failed no-transaction runs.

        Returns one sentence per change; each is also written to the event log.
        """
        changes: list[str] = []
        async with self._run_lock():
            await self._ensure_journal()
            files = self.project.by_version()
            async with self.db.transaction(check=False):
                for a in await self.applied():
                    label = f"{a.version:04d}_{a.name}"
                    m = files.get(a.version)
                    if a.failed:
                        await self.journal.remove(a.version)
                        change = f"{label}: cleared the failed run; `up` will run it again"
                    elif m is None:
                        continue  # nothing on disk to accept; `verify` keeps reporting it
                    elif m.up.checksum != a.checksum or (m.rollback and m.rollback.checksum != a.rollback_checksum):
                        await self.journal.update_checksums(m, keep_rollback=(a.rollback_sql, a.rollback_checksum))
                        change = f"{label}: recorded the checksum of today's files ({m.up.checksum[:12]})"
                    else:
                        continue
                    await self.journal.event("repair", version=a.version, name=a.name,
                                             checksum=m.up.checksum if m else a.checksum, message=change)
                    changes.append(change)
        return changes

    # -- internals ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _run_lock(self):
        if self.read_only:
            raise ConfigError("this Migrator was opened read-only")
        await self.db.lock()
        failed = True
        try:
            yield
            failed = False
        finally:
            try:
                # Steps commit without waiting for the WAL flush (PostgreSQL, see Driver.run_step);
                # one synchronous commit makes them all durable before the run reports success, or
                # before it reports a failure after earlier steps committed.
                if failed:
                    with contextlib.suppress(Exception):
                        await self.db.make_durable()
                else:
                    await self.db.make_durable()
            finally:
                await self.db.unlock()

    async def _ensure_journal(self) -> None:
        if not await self.journal.complete():
            await self.journal.create()

    def _refuse_if_blocked(self, applied: list[Applied], *, allow_modified: int | None = None) -> None:
        problems = [p for p in plan.blocking(plan.verify(self.project, applied))
                    if not (p.kind is ProblemKind.MODIFIED and p.version == allow_modified)]
        if problems:
            raise ProblemsFound(problems, "refusing to change the database until these are resolved "
                                          "(see `verify`):")

    async def _each(self, items, run: Callable[[object], Awaitable[StepResult | None]]) -> list[StepResult]:
        """Run steps in order; on failure the error carries what was completed before it.

        The stop event is only looked at here, between steps, so a stop never cuts a step's
        transaction short: the step in progress commits (or rolls back) first.
        """
        done: list[StepResult] = []
        try:
            for item in items:
                if self.stop is not None and self.stop.is_set():
                    raise Stopped(f"stopped before {_label(item)}: asked to stop; every earlier step is complete")
                result = await run(item)
                if result is not None:  # None: another runner did it while we waited for the lock
                    done.append(result)
                    self.on_progress(result)
        except MigratorError as exc:
            exc.done = done
            raise
        return done

    def _select_seeds(self, names: list[str]) -> list[Seed]:
        if not names:  # `-- runner: on-demand` seeds (volume data) run only when named
            return [s for s in self.project.seeds if "on-demand" not in directives(s.script.sql)]
        chosen = []
        for wanted in names:
            match = [s for s in self.project.seeds if wanted in (s.name, s.label, s.script.path.stem)]
            if not match:
                known = ", ".join(s.name for s in self.project.seeds) or "none"
                raise ConfigError(f"no seed named {wanted!r} in seeds/ (known: {known})")
            chosen.extend(s for s in match if s not in chosen)
        return sorted(chosen, key=lambda s: s.version)

    async def _run_script(self, sql: str, display_path: str, *, base: int = 0, full: str | None = None) -> None:
        """Run SQL from a file; a failure becomes a ScriptError naming the file and line."""
        try:
            await self.db.execute_script(sql)
        except StatementError as exc:
            offset = None if exc.offset is None else base + exc.offset
            line = line_of(full if full is not None else sql, offset if offset is not None else (base or None))
            err = ScriptError(display_path, line, exc.message, detail=exc.detail, hint=exc.hint)
            err.lock_timeout = exc.lock_timeout
            raise err from None

    async def _log_failure(self, action: str, version: int | None, name: str, checksum: str | None,
                           err: MigratorError) -> None:
        # Its own autocommit statement: the failed step's transaction has been rolled back.
        with contextlib.suppress(Exception):
            await self.journal.event(action, version=version, name=name, checksum=checksum, success=False,
                                     message=err.message)

    async def _in_transaction(self, action: str, version: int | None, name: str, checksum: str | None,
                              sql: str, display_path: str, **how) -> StepResult | None:
        """One step in its transaction, tried again (with backoff) when it failed waiting for a lock."""
        for attempt in range(1, self.retries + 2):
            try:
                return await self._one_transaction(action, version, name, checksum, sql, display_path, **how)
            except ScriptError as err:
                if not err.lock_timeout or attempt > self.retries:
                    raise
                delay = min(30.0, 0.5 * 2 ** (attempt - 1))
                self.on_progress(StepResult("retry", version, name, int(delay * 1000),
                                            f"{err.db_message}; attempt {attempt + 1} of {self.retries + 1}"))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _one_transaction(self, action: str, version: int | None, name: str, checksum: str | None,
                               sql: str, display_path: str, *, done: Query | None,
                               record: Callable[[int], list[Query]], before: tuple[Query, ...] = ()
                               ) -> StepResult | None:
        """The heart of the runner: one step's SQL and its journal change in one transaction.

        The driver runs the whole transaction as one unit (Driver.run_step): lock, re-read of the
        journal (`done`: another runner may have done this step while we waited), `before`, the
        script, the journal writes and this event, the check, commit.
        """
        def journal_writes(duration_ms: int) -> list[Query]:
            return record(duration_ms) + self.journal.event_sql(action, version=version, name=name, checksum=checksum,
                                                                duration_ms=duration_ms, message=display_path)

        try:
            duration_ms = await self.db.run_step(StepSQL(sql, done, journal_writes, before))
        except StatementError as exc:  # a statement of the script (offset), or at commit: SQLite's
            # foreign_key_check, deferred constraints (no offset)
            err = ScriptError(display_path, line_of(sql, exc.offset), exc.message, detail=exc.detail, hint=exc.hint)
            err.lock_timeout = exc.lock_timeout
            await self._log_failure(action, version, name, checksum, err)
            raise err from None
        if duration_ms is None:
            return None
        return StepResult(action, version, name, duration_ms, display_path)

    async def _outside_transaction(self, action: str, version: int, name: str, checksum: str | None,
                                   sql: str, display_path: str, *, already_done: Callable[[], Awaitable[bool]],
                                   mark_started: Callable[[], Awaitable[None]],
                                   mark_finished: Callable[[int], Awaitable[None]]) -> StepResult | None:
        """A `-- runner: no-transaction` file: statement by statement, marked failed until it completes.

        A crash or an error part-way leaves the journal row marked failed, which blocks `up`
        until a person has looked and run `repair`.
        """
        try:
            statements = self.db.split(sql)
        except StatementError as exc:
            raise ScriptError(display_path, line_of(sql, exc.offset), exc.message) from None
        async with self.db.transaction(check=False):
            if await already_done():
                return None
            await mark_started()
        start = time.perf_counter()
        for number, statement in enumerate(statements, 1):
            try:
                await self._run_script(statement.sql, display_path, base=statement.offset, full=sql)
            except ScriptError as err:
                err.message += (f"\nthis file runs outside a transaction: {number - 1} of {len(statements)} "
                                "statements completed and stay; it is marked failed until you fix the database "
                                "and run `repair`")
                await self._log_failure(action, version, name, checksum, err)
                raise
        duration_ms = _ms(start)
        async with self.db.transaction(check=False):
            await mark_finished(duration_ms)
            await self.journal.event(action, version=version, name=name, checksum=checksum,
                                     duration_ms=duration_ms, message=display_path)
        return StepResult(action, version, name, duration_ms, display_path)

    async def _apply(self, m: Migration) -> StepResult | None:
        if m.up.no_transaction:
            return await self._outside_transaction(
                "up", m.version, m.name, m.up.checksum, m.up.sql, m.up.display_path,
                already_done=lambda: self.journal.is_recorded(m.version),
                mark_started=lambda: self.journal.record(m, 0, failed=True),
                mark_finished=lambda ms: self.journal.mark_done(m.version, ms))
        return await self._in_transaction("up", m.version, m.name, m.up.checksum, m.up.sql, m.up.display_path,
                                          done=self.journal.done_sql("up", m.version),
                                          record=lambda ms: self.journal.record_sql(m, ms))

    async def _roll_back(self, step: Step) -> StepResult | None:
        async def already_done() -> bool:
            return not await self.journal.is_recorded(step.version)

        display = step.source
        if step.source == "journal":
            display = f"rollbacks/{step.version:04d}_{step.name}.sql (copy stored in the journal)"
        checksum = step.migration.up.checksum if step.migration else None
        if "no-transaction" in directives(step.sql):
            return await self._outside_transaction(
                "down", step.version, step.name, checksum, step.sql, display, already_done=already_done,
                mark_started=lambda: self.journal.mark_failed(step.version),
                mark_finished=lambda ms: self.journal.remove(step.version))
        return await self._in_transaction("down", step.version, step.name, checksum, step.sql, display,
                                          done=self.journal.done_sql("down", step.version),
                                          record=lambda ms: self.journal.remove_sql(step.version))

    async def _apply_repeatable(self, r: Repeatable) -> StepResult | None:
        return await self._in_transaction(
            "repeatable", None, r.name, r.script.checksum, r.script.sql, r.script.display_path,
            done=self.journal.repeatable_done_sql(r.name, r.script.checksum),
            record=lambda ms: self.journal.record_repeatable_sql(r.name, r.script.checksum, ms))

    async def _seed(self, seed: Seed, scale: int) -> StepResult:
        result = await self._in_transaction(
            "seed", seed.version, seed.name, seed.script.checksum, seed.script.sql, seed.script.display_path,
            done=None,  # seeds are written to be re-run
            # the seed's one parameter, as a temporary table `runner_seed(scale)` it can select from
            before=tuple(self.journal.seed_params_sql(scale)),
            record=lambda ms: self.journal.drop_seed_params_sql())
        assert result is not None
        return result

    async def _apply_all_at_once(self, todo: list[Migration]) -> list[StepResult]:
        """--single-transaction: every pending migration in one transaction, all or nothing."""
        outside = [m.label for m in todo if m.up.no_transaction]
        if outside:
            raise ConfigError(f"--single-transaction cannot include no-transaction migrations: {', '.join(outside)}")
        results: list[StepResult] = []
        current: Migration | None = None
        try:
            async with self.db.transaction():
                for current in todo:
                    if await self.journal.is_recorded(current.version):
                        continue
                    start = time.perf_counter()
                    await self._run_script(current.up.sql, current.up.display_path)
                    duration_ms = _ms(start)
                    await self.journal.record(current, duration_ms)
                    await self.journal.event("up", version=current.version, name=current.name,
                                             checksum=current.up.checksum, duration_ms=duration_ms,
                                             message=f"{current.up.display_path} (single transaction)")
                    results.append(StepResult("up", current.version, current.name, duration_ms,
                                              current.up.display_path))
        except StatementError as exc:
            raise ScriptError("(commit)", None, exc.message, detail=exc.detail, hint=exc.hint) from None
        except ScriptError as err:
            err.message += "\n--single-transaction: every migration of this run was rolled back"
            if current is not None:
                await self._log_failure("up", current.version, current.name, current.up.checksum, err)
            raise
        for r in results:
            self.on_progress(r)
        return results


def _label(item: Migration | Step | Seed | Repeatable) -> str:
    return getattr(item, "label", None) or f"{item.version:04d}_{item.name}"  # a Step has no label


def _read_rollbacks(migrations: list[Migration]) -> None:
    """Read the rollback files now (discovery leaves them for later): one that is not UTF-8 stops
    the command with a clear error before anything has changed."""
    for m in migrations:
        if m.rollback is not None:
            m.rollback.load()


_TEST_FAILED = "\nup --test: this is what would fail; everything was rolled back, the database is unchanged"


class _RollBack(Exception):
    """Raised inside `up --test`'s transaction to roll it back after a successful run."""


def _ms(start: float) -> int:
    return int(round((time.perf_counter() - start) * 1000))


def scaffold(project_dir: str | Path, name: str) -> tuple[Path, Path]:
    """`new`: the next-numbered pair of files, as wide as the existing versions (4 by default)."""
    import re

    from .files import FILE_NAME

    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(f"migration name {name!r} may only contain letters, digits, '_' and '-'")
    project_dir = Path(project_dir)
    existing = [m for p in (project_dir / "sql").glob("*.sql") if (m := FILE_NAME.match(p.name))]
    width = max((len(m["version"]) for m in existing), default=4)
    version = max((int(m["version"]) for m in existing), default=-1) + 1
    stem = f"{version:0{width}d}_{name}"
    up, down = project_dir / "sql" / f"{stem}.sql", project_dir / "rollbacks" / f"{stem}.sql"
    for path in (up, down):
        path.parent.mkdir(parents=True, exist_ok=True)
    up.write_text(f"-- {stem}: write the change here.\n", encoding="utf-8")
    down.write_text(f"-- Rollback of {stem}: undo exactly what sql/{stem}.sql does.\n", encoding="utf-8")
    return up, down
