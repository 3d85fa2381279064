"""Pure planning over lists: what is pending, what to roll back, what is wrong.

No I/O here, so every rule is unit-tested without a database.
"""
from __future__ import annotations

from .errors import ConfigError, MigratorError
from .model import (
    BLOCKING,
    Applied,
    Migration,
    MigrationStatus,
    Problem,
    ProblemKind,
    Project,
    Repeatable,
    RepeatableStatus,
    State,
    Rollback,
    up_template,
)


def statuses(migrations: list[Migration], applied: list[Applied]) -> list[MigrationStatus]:
    """Every known version, in order, with its state."""
    files = {m.version: m for m in migrations}
    rows = {a.version: a for a in applied}
    result = []
    for version in sorted(files.keys() | rows.keys()):
        m, a = files.get(version), rows.get(version)
        checks = m is not None and m.checks is not None
        if a is None:
            result.append(MigrationStatus(version, m.name, State.PENDING, None, None, m.up.checksum, has_checks=checks))
            continue
        changes = None
        if a.failed:
            state = State.FAILED
        elif m is None:
            state = State.MISSING
        elif is_edited(m, a):
            state, changes = State.MODIFIED, edits(a, m)
        else:
            state = State.APPLIED
        result.append(MigrationStatus(version, a.name, state, a.applied_at, a.duration_ms, a.checksum, a.applied_by,
                                      out_of_order=a.out_of_order, has_checks=checks, changes=changes))
    return result


def is_edited(m: Migration, a: Applied) -> bool:
    """The file of an applied migration is not what was applied (statuses() shows it MODIFIED, with a diff)."""
    return not a.failed and m.up.checksum != a.checksum


def edited(migrations: list[Migration], applied: list[Applied]) -> list[int]:
    """The versions statuses() will show edited: the only ones whose applied SQL it reads."""
    files = {m.version: m for m in migrations}
    return [a.version for a in applied if a.version in files and is_edited(files[a.version], a)]


def invalid_index(index: str, table: str) -> str:
    return (f'index {index} on {table} is invalid (a CREATE INDEX CONCURRENTLY that did not finish: it slows '
            f'writes and serves no query); drop it with `DROP INDEX CONCURRENTLY IF EXISTS "{index}";`, then '
            "`repair` and `up` build it again")


def edits(applied: Applied, m: Migration) -> str:
    """What changed in an applied migration's file: a unified diff of the SQL as applied against today's."""
    if applied.applied_sql is None:
        return ("(the SQL as applied was not kept: applied by runner 0.1.0, or larger than the "
                "1,000,000 characters the journal keeps)\n")
    import difflib  # here: only an edited migration needs it

    before = [line + "\n" for line in applied.applied_sql.split("\n")]
    after = [line + "\n" for line in m.up.sql.split("\n")]
    return "".join(difflib.unified_diff(before, after, f"{m.up.display_path} (as applied)",
                                        f"{m.up.display_path} (today)"))


def repeatable_states(repeatables: list[Repeatable], recorded: dict[str, tuple[str, str | None]]
                      ) -> list[RepeatableStatus]:
    """`recorded`: name -> (checksum, applied_at) of each repeatable's last run."""
    states = []
    for r in repeatables:
        checksum, applied_at = recorded.get(r.name, (None, None))
        state = "new" if checksum is None else "current" if checksum == r.script.checksum else "changed"
        states.append(RepeatableStatus(r.name, state, r.script.checksum, applied_at))
    return states


def current_version(applied: list[Applied]) -> int | None:
    """The newest applied version, even when its file is gone."""
    done = [a.version for a in applied if not a.failed]
    return max(done) if done else None


def verify(project: Project, applied: list[Applied], *, strict: bool = False,
           invalid_indexes: list[tuple[str, str]] = ()) -> list[Problem]:
    """Every problem with the files, the journal and (invalid_indexes) the schema, in a stable order."""
    problems = list(project.problems)
    for index, table in invalid_indexes:
        problems.append(Problem(ProblemKind.INVALID_INDEX, invalid_index(index, table)))
    newest = current_version(applied)
    for s in statuses(project.migrations, applied):
        label = f"{s.version:04d}_{s.name}"
        if s.state is State.MODIFIED:
            problems.append(Problem(ProblemKind.MODIFIED,
                                    f"{label} was applied but sql/{label}.sql has changed since "
                                    "(restore it, or run `repair` to accept the new checksum):", s.version,
                                    detail=s.changes))
        elif s.state is State.MISSING:
            problems.append(Problem(ProblemKind.MISSING,
                                    f"{label} was applied but its file is gone from sql/", s.version))
        elif s.state is State.FAILED:
            problems.append(Problem(ProblemKind.FAILED,
                                    f"{label} failed part-way outside a transaction; fix the database by hand, "
                                    "then run `repair` so `up` runs it again", s.version))
        elif s.state is State.PENDING:
            if newest is not None and s.version < newest:
                problems.append(Problem(ProblemKind.OUT_OF_ORDER,
                                        f"{label} is pending but older than the newest applied version "
                                        f"{newest:04d} (`up --allow-out-of-order` applies it)", s.version))
            elif strict:
                problems.append(Problem(ProblemKind.PENDING, f"{label} is not applied yet", s.version))
    for m in project.migrations:
        if m.up.sql == up_template(m.label) and not any(a.version == m.version for a in applied):
            problems.append(Problem(ProblemKind.UNWRITTEN,
                                    f"{m.up.display_path} still holds only what `new` wrote: write the migration "
                                    "(or delete the file) before `up`", m.version))
        if m.rollback is None:
            problems.append(Problem(ProblemKind.MISSING_ROLLBACK,
                                    f"{m.label} has no rollback file rollbacks/{m.label}.sql", m.version))
    return problems


def plan_up(migrations: list[Migration], applied: list[Applied], to: int | None = None) -> list[Migration]:
    """Pending migrations in version order, up to and including `to`."""
    if to is not None and to not in {m.version for m in migrations}:
        raise ConfigError(f"--to={to}: no migration in sql/ has version {to}")
    done = {a.version for a in applied}
    return [m for m in migrations if m.version not in done and (to is None or m.version <= to)]


def plan_down(
    migrations: list[Migration],
    applied: list[Applied],
    *,
    count: int | None = None,
    to: int | None = None,
    everything: bool = False,
) -> list[Rollback]:
    """Applied migrations to roll back, newest first, each with the rollback SQL to run.

    The file in rollbacks/ wins; without it the copy stored in the journal at apply time
    is used, so an older checkout can still roll back.
    """
    files = {m.version: m for m in migrations}
    if to is not None and to not in files and to not in {a.version for a in applied}:
        raise ConfigError(f"--to={to}: no migration in sql/ or in the journal has version {to}")
    newest_first = sorted((a for a in applied if not a.failed), key=lambda a: a.version, reverse=True)
    if everything:
        chosen = newest_first
    elif to is not None:
        chosen = [a for a in newest_first if a.version > to]
    else:
        n = 1 if count is None else count
        if n < 0:
            raise ConfigError(f"<count> must be 0 or more, not {n}")
        chosen = newest_first[:n]
    steps = []
    for a in chosen:
        m = files.get(a.version)
        if m is not None and m.rollback is not None:
            steps.append(Rollback(a.version, a.name, m.rollback.sql, m.rollback.display_path, m))
        elif a.rollback_sql is not None:
            steps.append(Rollback(a.version, a.name, a.rollback_sql, "journal", m))
        else:
            raise MigratorError(f"{a.version:04d}_{a.name}: no rollback file rollbacks/{a.version:04d}_{a.name}.sql "
                                "and none stored in the journal; nothing was rolled back")
    return steps


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.kind in BLOCKING]
