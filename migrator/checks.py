"""`check`, `drift` and `schema`: the migrations proven on a scratch database, through the engine.

Every change goes through `Migrator` (`up(to=v)`, `down(1)`), exactly as a deploy would run it;
this module only takes snapshots between the steps and compares them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .engine import Migrator, resolve_url
from .errors import ConfigError, MigratorError, ProblemsFound
from .introspect import Difference, Schema, diff, snapshot
from .model import Migration, ProblemKind
from .scratch import scratch_database
from .url import DatabaseURL, parse

ROLLBACK_WORDS = {"added": "left behind", "missing": "not restored", "changed": "changed"}
REPEAT_WORDS = {"added": "only the second time", "missing": "only the first time", "changed": "differs"}
DRIFT_WORDS = {"added": "added by hand", "missing": "missing", "changed": "altered"}


@dataclass
class MigrationCheck:
    """What `check` found for one migration; no problems means its rollback is a true inverse."""

    version: int | None  # None: the repeatables, applied after every migration
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name if self.version is None else f"{self.version:04d}_{self.name}"

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            return [f"ok      {self.label}"]
        return [f"FAILED  {self.label}"] + ["  - " + p.replace("\n", "\n    ") for p in self.problems]


@dataclass
class CheckReport:
    dialect: str
    where: str
    results: list[MigrationCheck]  # the migrations', then the repeatables' if there are any
    unchecked: list[str]  # labels not reached after a migration could not be applied

    @property
    def failed(self) -> list[MigrationCheck]:
        return [r for r in self.results if not r.ok]

    def summary(self) -> str:
        migrations = [r for r in self.results if r.version is not None]
        passed = [r for r in migrations if r.ok]
        text = (f"{len(passed)} of {len(migrations)} migration(s) roll back to exactly the schema before "
                f"them ({self.dialect}, on {self.where})")
        if any(r.version is None and not r.ok for r in self.results):
            text += "; the repeatables failed"
        if self.unchecked:  # the first few: a project of hundreds must not make one line of kilobytes
            shown = ", ".join(self.unchecked[:3]) + (f", … (and {len(self.unchecked) - 3} more)"
                                                      if len(self.unchecked) > 3 else "")
            text += f"; {len(self.unchecked)} not checked: {shown}"
        return text


def _differences(title: str, differences: list[Difference], words: dict[str, str]) -> str:
    return title + "".join("\n    " + d.describe(words).replace("\n", "\n    ") for d in differences)


async def check(url: str | DatabaseURL | None, project_dir: str | Path, *, scratch_url: str | None = None,
                scratch_prelude: str | Path | None = None, lock_wait: float = 30.0,
                on_result: Callable[[MigrationCheck], None] | None = None) -> CheckReport:
    """Apply each migration on a scratch database, roll it back, compare, and apply it again.

    A migration passes when the schema after its rollback is exactly the schema before it, and
    applying it again succeeds and gives the same schema as the first time. Never touches the
    database of `url`; on PostgreSQL it only borrows its server for the scratch database, which
    is left as it was found whatever the rollbacks do (see scratch.py).
    """
    like = parse(scratch_url) if scratch_url else url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
    report_one = on_result or (lambda result: None)
    results: list[MigrationCheck] = []
    unchecked: list[str] = []
    async with scratch_database(like, scratch_url, prelude=scratch_prelude, lock_wait=lock_wait) as scratch:
        async with Migrator.connect(scratch.url, project_dir, lock_wait=lock_wait) as m:
            migrations = list(m.project.migrations)
            for index, migration in enumerate(migrations):
                result, can_go_on = await _check_one(m, migration)
                results.append(result)
                report_one(result)
                if not can_go_on:
                    unchecked = [later.label for later in migrations[index + 1:]]
                    break
            else:
                if m.project.repeatables:
                    results.append(await _apply_repeatables(m))
                    report_one(results[-1])
    return CheckReport(scratch.url.dialect, scratch.description, results, unchecked)


async def _apply_repeatables(m: Migrator) -> MigrationCheck:
    """sql/repeatable/ follows the newest schema: a full `up` applies it after the last migration."""
    result = MigrationCheck(None, f"sql/repeatable/ ({len(m.project.repeatables)} file(s))")
    try:
        await m.up()
    except MigratorError as exc:
        result.problems.append(f"applying them after the last migration failed: {exc.message}")
    return result


async def _check_one(m: Migrator, migration: Migration) -> tuple[MigrationCheck, bool]:
    """One migration's round trip: up, snapshot, down, compare, up again, compare."""
    result = MigrationCheck(migration.version, migration.name)
    before = await snapshot(m.db)
    try:
        await m.up(to=migration.version)
    except MigratorError as exc:
        result.problems.append(f"applying it failed: {exc.message}")
        return result, False
    after = await snapshot(m.db)

    if migration.rollback is None:
        result.problems.append(f"it has no rollback file rollbacks/{migration.label}.sql")
        return result, True
    try:
        await m.down(1)
    except MigratorError as exc:
        result.problems.append(f"its rollback failed: {exc.message}")
        return result, True  # the rollback's transaction was undone: the migration is still applied
    rolled_back = await snapshot(m.db)
    differences = diff(before, rolled_back)
    if differences:
        result.problems.append(_differences(
            f"{migration.rollback.display_path} does not restore the schema from before the migration:",
            differences, ROLLBACK_WORDS))

    try:
        await m.up(to=migration.version)
    except MigratorError as exc:
        result.problems.append(f"applying it again after its rollback failed: {exc.message}")
        return result, False
    again = await snapshot(m.db)
    differences = diff(after, again)
    if differences:
        result.problems.append(_differences(
            "applying it again after its rollback gives another schema than the first time:",
            differences, REPEAT_WORDS))
    return result, True


# -- drift and schema ------------------------------------------------------------------------------

@dataclass
class DriftReport:
    dialect: str
    display_url: str
    version: int | None
    differences: list[Difference]
    notes: list[str]

    def lines(self) -> list[str]:
        at = f"{self.version:04d}" if self.version is not None else "no migration applied"
        notes = [f"note: {n}" for n in self.notes]
        if not self.differences:
            return notes + [f"no drift: {self.display_url} has exactly the schema its migrations give (at {at})"]
        out = notes + [f"{self.display_url} differs from what its migrations give (at {at}):"]
        out += ["  " + d.describe(DRIFT_WORDS).replace("\n", "\n  ") for d in self.differences]
        return out


async def live_schema(url: str | DatabaseURL | None, project_dir: str | Path = ".") -> Schema:
    """The normalised schema of the database itself. Read-only: never creates a file or the journal."""
    async with Migrator.connect(url, project_dir, read_only=True) as live:
        return await snapshot(live.db)


async def expected_schema(url: str | DatabaseURL | None, project_dir: str | Path, *, to: int | None = None,
                          scratch_url: str | None = None, scratch_prelude: str | Path | None = None,
                          lock_wait: float = 30.0) -> Schema:
    """The schema the migration files give, built on a scratch database: every migration and then
    the repeatables, or only the migrations up to `to`."""
    like = url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
    if scratch_url and parse(scratch_url).dialect != like.dialect:
        raise ConfigError(f"--scratch-url is a {parse(scratch_url).dialect} database but --url is {like.dialect}; "
                          "the schema must be built on the same kind of database")
    async with scratch_database(like, scratch_url, prelude=scratch_prelude, lock_wait=lock_wait) as scratch:
        async with Migrator.connect(scratch.url, project_dir, lock_wait=lock_wait) as m:
            if to is None:
                await m.up()
            elif any(mig.version <= to for mig in m.project.migrations):
                await m.up(to=to)
            schema = await snapshot(m.db)
    return schema


async def drift(url: str | DatabaseURL | None, project_dir: str | Path, *, scratch_url: str | None = None,
                scratch_prelude: str | Path | None = None, lock_wait: float = 30.0) -> DriftReport:
    """Compare the live database with the migrations its journal says are applied. Read-only on it."""
    live_url = url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
    async with Migrator.connect(live_url, project_dir, read_only=True) as live:
        status = await live.status()
        problems = await live.verify()
        actual = await snapshot(live.db)
        project = live.project
    cannot = [p for p in problems if p.kind in (ProblemKind.MISSING, ProblemKind.OUT_OF_ORDER, ProblemKind.FAILED)]
    if cannot:
        raise ProblemsFound(cannot, "drift cannot tell what the schema should be until these are resolved:")
    labels = {m.version: m.label for m in project.migrations}
    notes = [f"{labels[p.version]} changed since it was applied; the expected schema uses today's file"
             for p in problems if p.kind is ProblemKind.MODIFIED]

    # Repeatables run after the newest migration; on a database that is not there yet, the
    # objects they define cannot be compared.
    version = status.current
    at_newest = version is not None and version == max(m.version for m in project.migrations)
    ran = [r for r in status.repeatables if r.applied_at is not None]
    to = None if at_newest and ran else (version if version is not None else -1)
    for r in status.repeatables if to is None else ():
        if r.state == "changed":
            notes.append(f"repeatable/{r.name} changed since its last run; the expected schema uses today's file")
        elif r.state == "new":
            notes.append(f"repeatable/{r.name} never ran here; the expected schema includes it")
    expected = await expected_schema(live_url, project_dir, to=to, scratch_url=scratch_url,
                                     scratch_prelude=scratch_prelude, lock_wait=lock_wait)
    differences = diff(expected, actual)
    if ran and to is not None:
        defined = _defined_by(project.repeatables, live_url.dialect)
        differences = [d for d in differences if (d.item.parent or d.item.key)[1] not in defined]
        notes.append("the objects of sql/repeatable/ are not compared: they follow the newest migration, and "
                     "this database is not at it")
    return DriftReport(live_url.dialect, live_url.display, version, differences, notes)


def _defined_by(repeatables, dialect: str) -> set[str]:
    from .sqlfacts import facts

    return {f.name for r in repeatables for f in facts(r.script.sql, dialect) if f.action == "create"}


__all__ = ["check", "drift", "live_schema", "expected_schema", "CheckReport", "MigrationCheck", "DriftReport"]
