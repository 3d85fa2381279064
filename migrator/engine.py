"""The engine: every command as an async method over one connection. It never prints.

Each public method reads like its algorithm: journal → verify → plan → one step (steps.py) per
migration, each in its own transaction together with its journal row, so a failure leaves no
trace of the failed step and keeps every earlier one. Steps are reported (`on_progress`) once
they are durable.
"""

import asyncio
import contextlib
import functools
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Callable, NamedTuple

from . import plan
from .drivers import Driver, Guard, Sql, open_driver
from .errors import (ConfigError, ConnectionLost, DatabaseError, LockTimeout, MigratorError, ProblemsFound, Refused,
                     StatementError, Stopped)
from .files import discover, read_rollbacks
from .journal import FORMAT, Journal
from .model import FILE_PROBLEMS, Applied, Migration, MigrationStatus, Problem, ProblemKind, Project, Repeatable, \
    RepeatableStatus, Seed, Rollback, StepResult, directives
from .settings import resolve_url
from .url import DatabaseURL

if TYPE_CHECKING:
    from .apply import Applier

# Imported where first needed (apply, reset, sqlfacts): read-only commands such as `status` start
# without the code that changes a database.

Progress = Callable[[StepResult], None]

__all__ = ["Migrator", "StatusReport", "ResetResult", "resolve_url"]


class StatusReport(NamedTuple):
    dialect: str
    current: int | None
    migrations: list[MigrationStatus]
    repeatables: list[RepeatableStatus]
    invalid_indexes: list[tuple[str, str]] = ()  # (index, table): an unfinished CREATE INDEX CONCURRENTLY

    def as_json(self) -> dict:
        return {"dialect": self.dialect, "current": self.current,
                "migrations": [m.as_json() for m in self.migrations],
                "repeatables": [r.as_json() for r in self.repeatables],
                "invalid_indexes": [{"index": i, "table": t} for i, t in self.invalid_indexes]}


class ResetResult(NamedTuple):
    dropped: list[str]  # "table users", "view kpi_summary", …
    applied: list[StepResult]
    seeded: list[StepResult]


class Migrator:
    """One database and one project directory.

    Use `async with Migrator.connect(url, project_dir) as m:`; read-only commands pass
    `read_only=True`, which never creates a SQLite file or the journal, and opens a connection
    on which the database itself refuses writes. `stop`: once that event is set, a run finishes
    the step in progress and raises `Stopped` before the next one.
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

    @functools.cached_property
    def steps(self) -> "Applier":
        """Builds and runs each kind of step (apply.py)."""
        from .apply import Applier
        return Applier(self.db, self.journal, retries=self.retries, on_progress=self.on_progress)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str | DatabaseURL | None = None, project_dir: str | Path = ".", *,
                      lock_wait: float = 30.0, lock_timeout: float | None = 5.0,
                      statement_timeout: float | None = None, retries: int = 0, read_only: bool = False,
                      on_progress: Progress | None = None,
                      stop: asyncio.Event | None = None) -> AsyncIterator["Migrator"]:
        """Discover the project's files, then connect.

        lock_wait: seconds a step waits for another runner's transaction (then LockTimeout, exit 4).
        lock_timeout / statement_timeout (PostgreSQL): how long one statement of a migration may
        wait for a table lock / run; a migration that fails waiting for a lock is retried
        `retries` times with backoff instead of stalling every query queued behind it.
        """
        parsed = url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
        project_dir = Path(project_dir)
        project = discover(project_dir, parsed.dialect)  # a missing project is refused before connecting
        file_problems = [p for p in project.problems if p.kind in FILE_PROBLEMS]
        if file_problems and not read_only:
            raise ProblemsFound(file_problems, "the migration files have problems; the database was not touched:")
        db = await open_driver(parsed, lock_wait=lock_wait, lock_timeout=lock_timeout,
                               statement_timeout=statement_timeout, read_only=read_only)
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
        applied = await self._applied_for_statuses()
        repeatables = plan.repeatable_states(self.project.repeatables, await self.journal.repeatables())
        invalid = await self.journal.invalid_indexes() if self._no_transaction_files() else []
        return StatusReport(self.url.dialect, plan.current_version(applied),
                            plan.statuses(self.project.migrations, applied), repeatables, invalid)

    async def verify(self, *, strict: bool = False) -> list[Problem]:
        """Every problem with the files and the journal; `strict` also counts pending migrations. Read-only."""
        read_rollbacks(self.project.migrations)
        invalid = await self.journal.invalid_indexes() if self._no_transaction_files() else []
        return plan.verify(self.project, await self._applied_for_statuses(), strict=strict, invalid_indexes=invalid)

    async def events(self, limit: int = 1000) -> list[dict]:
        return await self.journal.events(limit)

    async def plan_up(self, to: int | None = None, *, allow_out_of_order: bool = False) -> list[Migration]:
        """What `up` would apply, in order; raises ProblemsFound where `up` would refuse. Read-only.

        allow_out_of_order: a pending version older than the newest applied one (branches merged)
        is applied too, instead of refused.
        """
        applied = await self.applied()
        self._refuse_if_blocked(applied, allow_out_of_order=allow_out_of_order)
        return plan.plan_up(self.project.migrations, applied, to)

    async def plan_repeatables(self) -> list[Repeatable]:
        """Repeatables that are new or changed since their last run, in name order. Read-only."""
        states = {s.name: s.state for s in plan.repeatable_states(self.project.repeatables,
                                                                  await self.journal.repeatables())}
        return [r for r in self.project.repeatables if states[r.name] != "current"]

    async def plan_down(self, count: int | None = None, *, to: int | None = None,
                        everything: bool = False) -> list[Rollback]:
        """What `down` would roll back, newest first, with the SQL it would run. Read-only."""
        return plan.plan_down(self.project.migrations, await self.applied(), count=count, to=to,
                              everything=everything)

    # -- changing the database -------------------------------------------------------------------

    async def up(self, to: int | None = None, *, single_transaction: bool = False, allow_out_of_order: bool = False,
                 before: Callable[[list[Migration]], Awaitable[None]] | None = None) -> list[StepResult]:
        """Apply the pending migrations (up to `to`), then the new or changed repeatables.

        allow_out_of_order: also apply a pending version older than the newest applied one; it is
        recorded as applied out of order. `before(pending)` runs once the pending migrations are
        known, and only when there are some: a backup taken there is of the database as this run
        found it.
        """
        async with self._writing():
            return await self._up(to, single_transaction=single_transaction, before=before,
                                  allow_out_of_order=allow_out_of_order)

    async def _up(self, to: int | None = None, *, single_transaction: bool = False, allow_out_of_order: bool = False,
                  before: Callable[[list[Migration]], Awaitable[None]] | None = None) -> list[StepResult]:
        await self._ensure_journal()
        applied = await self.applied()
        self._refuse_if_blocked(applied, allow_out_of_order=allow_out_of_order)
        todo = plan.plan_up(self.project.migrations, applied, to)
        newest = plan.current_version(applied)
        read_rollbacks(todo)
        if todo and before is not None:
            await self.db.flush()  # hold no transaction open while the caller's code runs
            await before(todo)
        older = {m.version for m in todo if newest is not None and m.version < newest}
        if single_transaction:
            done = await self.steps.all_at_once(todo, out_of_order=older)
        else:
            done = await self._each(todo, lambda m: self.steps.migration(m, out_of_order=m.version in older))
        if to is None:  # repeatables follow the newest schema, so only a full `up` runs them
            try:
                done += await self._each(await self.plan_repeatables(), self.steps.repeatable)
            except MigratorError as exc:
                exc.done = done + exc.done  # the migrations applied before it count too
                raise
        return done

    async def up_test(self, to: int | None = None) -> list[StepResult]:
        """Apply every pending migration inside one transaction on the real database, then roll it
        all back: what would fail fails here, and the database is left exactly as it was."""
        async with self._writing():
            todo = await self.plan_up(to)
            read_rollbacks(todo)
            return await self.steps.test(todo, journal_writes=(await self._journal_writes())[1])

    async def down(self, count: int | None = None, *, to: int | None = None,
                   everything: bool = False) -> list[StepResult]:
        async with self._writing():
            await self._ensure_journal()
            done = await self._each(await self.plan_down(count, to=to, everything=everything), self.steps.rollback)
            await self._after_rollback(done)
            return done

    async def redo(self) -> list[StepResult]:
        """Roll back the newest migration and apply it again (its file may have been edited)."""
        async with self._writing():
            await self._ensure_journal()
            applied = await self.applied()
            newest = plan.current_version(applied)
            if newest is None:
                # a refusal (exit 3), like baseline's: nothing failed and nothing changed
                raise Refused("nothing to redo: no migration is applied")
            # Editing the newest migration and redoing it is the point; other problems still block.
            self._refuse_if_blocked(applied, allow_modified=newest)
            migration = self.project.by_version().get(newest)
            if migration is None:
                raise Refused(f"cannot redo {newest:04d}: its file is gone from sql/")
            read_rollbacks([migration])
            done = await self._each(plan.plan_down(self.project.migrations, applied, count=1), self.steps.rollback)
            await self._after_rollback(done)
            done += await self._each([migration], self.steps.migration)
            return done + await self._each(await self.plan_repeatables(), self.steps.repeatable)

    async def seed(self, names: list[str] | None = None, *, scale: int = 1000) -> list[StepResult]:
        """Run seeds/ (or the named ones) in order, each in a transaction; refuses while migrations are pending."""
        async with self._writing():
            return await self._seed_all(names, scale=scale)

    async def _seed_all(self, names: list[str] | None = None, *, scale: int = 1000) -> list[StepResult]:
        seeds = self._select_seeds(names or [])
        await self._ensure_journal()
        pending = await self.plan_up()
        if pending:
            raise ProblemsFound(
                [Problem(ProblemKind.PENDING, f"{m.label} is not applied yet", m.version) for m in pending],
                f"{len(pending)} migration(s) pending; run `up` before seeding:")
        return await self._each(seeds, lambda s: self.steps.seed(s, scale))

    async def reset(self, *, seed: bool = True, force: bool = False, scale: int = 1000) -> ResetResult:
        """Drop everything in the database, then `up` and (unless seed=False) the seeds.

        For development databases only: refuses unless the database is SQLite or a PostgreSQL
        server on this machine, or `force` is given; RUNNER_ENV=production refuses even then.
        """
        from .reset import check_reset_allowed, drop_everything
        check_reset_allowed(self.url, force=force)
        async with self._writing():
            dropped = await drop_everything(self.db, self.journal.lock())
            self.journal.forget()
            applied = await self._up()
            seeded = await self._seed_all(scale=scale) if seed else []
        return ResetResult(dropped, applied, seeded)

    async def baseline(self, version: int) -> list[StepResult]:
        """Record every migration up to `version` as applied without running it."""
        async with self._writing():
            await self._ensure_journal()
            applied = await self.applied()
            if applied:
                raise Refused(f"baseline refuses: the journal already records {len(applied)} migration(s); "
                              "baseline is for adopting a database the runner has never touched")
            if version not in self.project.by_version():
                raise ConfigError(f"baseline {version}: no migration in sql/ has version {version}")
            todo = [m for m in self.project.migrations if m.version <= version]
            read_rollbacks(todo)
            return await self.steps.baseline(todo)

    async def repair(self) -> list[str]:
        """Accept today's files: re-record changed checksums and clear failed no-transaction runs.

        Returns one sentence per change; each is also written to the event log.
        """
        changes: list[str] = []
        writes: list[Sql] = []
        async with self._writing():
            await self._ensure_journal()
            files = self.project.by_version()
            applied = await self.applied()
            await self._refuse_repair_over_invalid_indexes([files[a.version] for a in applied
                                                            if a.failed and a.version in files])
            for a in applied:
                label = f"{a.version:04d}_{a.name}"
                m = files.get(a.version)
                if a.failed:
                    change_writes = self.journal.remove(a.version)
                    change = f"{label}: cleared the failed run; `up` will run it again"
                elif m is None:
                    continue  # nothing on disk to accept; `verify` keeps reporting it
                elif m.up.checksum != a.checksum or (m.rollback and m.rollback.checksum != a.rollback_checksum):
                    change_writes = self.journal.update_checksums(m, keep_rollback=(a.rollback_sql, a.rollback_checksum))
                    change = f"{label}: recorded the checksum of today's files ({m.up.checksum[:12]})"
                else:
                    continue
                writes += [*change_writes, *self.journal.event(
                    "repair", version=a.version, name=a.name, checksum=m.up.checksum if m else a.checksum,
                    duration_ms=None, message=change)]
                changes.append(change)
            await self.steps.bookkeeping(writes, "(repair)")
        return changes

    async def _applied_for_statuses(self) -> list[Applied]:
        """The journal's rows as plan.statuses() needs them: the SQL kept for each row is read only
        for the edited migrations it shows a diff of (at thousands of rows the texts were most of
        the read)."""
        applied = await self.journal.applied(texts=False)
        edited = set(plan.edited(self.project.migrations, applied))
        return [await self.journal.with_texts(a) if a.version in edited else a for a in applied]

    def _no_transaction_files(self) -> bool:
        """Only a no-transaction file can leave an invalid index; others need not look for one."""
        return any(m.up.no_transaction for m in self.project.migrations)

    async def _refuse_repair_over_invalid_indexes(self, failed: list[Migration]) -> None:
        """Clearing a failed CREATE INDEX CONCURRENTLY while its index is invalid would let `up` skip
        it (IF NOT EXISTS) and call it applied: the index must be dropped first."""
        from .sqlfacts import indexes_created
        created = {name for m in failed for name in indexes_created(m.up.sql, self.db.dialect)}
        if not created:
            return
        mine = [(index, table) for index, table in await self.journal.invalid_indexes() if index in created]
        if mine:
            raise ProblemsFound([Problem(ProblemKind.INVALID_INDEX, plan.invalid_index(i, t)) for i, t in mine],
                                "repair refuses: a failed migration left an invalid index; nothing was changed:")

    # -- internals ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _writing(self):
        """Around every command that changes the database: what it completed is durable, and
        reported, before it returns or raises."""
        if self.read_only:
            raise ConfigError("this Migrator was opened read-only")
        try:
            yield
        except BaseException as exc:
            await self.steps.finish(exc)
            if isinstance(exc, LockTimeout):
                from .apply import describe_session
                with contextlib.suppress(Exception):  # an explanation must never hide the failure it explains
                    exc.message += "".join(f"\nthe lock is held by {describe_session(row)}"
                                           for row in await self.journal.lock_holders())
            raise
        await self.steps.finish(None)

    async def _ensure_journal(self) -> None:
        """Create the journal, or bring one written by an older runner to this runner's format."""
        guard, writes = await self._journal_writes()
        if writes:
            await self.steps.bookkeeping(writes, guard=guard)

    async def _journal_writes(self) -> tuple[Guard | None, list[Sql]]:
        """What makes the journal this runner's: creating it, or upgrading an older one (with a
        guard: another runner may upgrade it first); nothing when it is already."""
        version = await self.journal.format()
        if version is not None and version < FORMAT:
            return self.journal.upgrade(version)
        return None, [] if await self.journal.complete() else self.journal.create()

    async def _after_rollback(self, done: list[StepResult]) -> None:
        # `down` leaves repeatable objects alone, but what they stand on may be gone now:
        # forget their runs so the next `up` runs them again.
        if done and self.project.repeatables:
            await self.steps.bookkeeping(self.journal.forget_repeatables())

    def _refuse_if_blocked(self, applied: list[Applied], *, allow_modified: int | None = None,
                           allow_out_of_order: bool = False) -> None:
        problems = [p for p in plan.blocking(plan.verify(self.project, applied))
                    if not (p.kind is ProblemKind.MODIFIED and p.version == allow_modified)
                    and not (p.kind is ProblemKind.OUT_OF_ORDER and allow_out_of_order)]
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
                    raise Stopped(f"stopped before {item.label}: asked to stop; every earlier step is complete")
                result = await run(item)
                if result is not None:  # None: another runner did it while we waited for the lock
                    done.append(result)
        except MigratorError as exc:
            exc.done = done[:len(done) - getattr(exc, "lost", 0)]
            raise
        return done

    def _select_seeds(self, names: list[str]) -> list[Seed]:
        if not names:  # `-- runner: on-demand` seeds (volume data) run only when named
            return [s for s in self.project.seeds if "on-demand" not in directives(s.script.sql)]
        chosen = []
        for wanted in names:
            match = [s for s in self.project.seeds
                     if wanted in (s.name, s.label, s.script.display_path.rsplit("/", 1)[-1].removesuffix(".sql"))]
            if not match:
                known = ", ".join(s.name for s in self.project.seeds) or "none"
                raise ConfigError(f"no seed named {wanted!r} in seeds/ (known: {known})")
            chosen.extend(s for s in match if s not in chosen)
        return sorted(chosen, key=lambda s: s.version)
