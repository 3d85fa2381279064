"""Fleet: one command on many databases (tenants, shards), each through the ordinary engine.

`read_targets` parses the targets file before any database is touched; `run_fleet` runs a
`FleetCommand` on every target through `Migrator.connect` (its own connection, lock,
transactions and journal), at most `parallel` at a time on one event loop, and returns one
`TargetResult` per target. It never prints: `on_start`/`on_step`/`on_finish` tell the caller.
"""
from __future__ import annotations

import asyncio
import enum
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Iterable, Mapping

from .engine import Migrator, StatusReport
from .errors import ConfigError, LockTimeout, MigratorError, ProblemsFound, Stopped
from .files import discover, require_project
from .model import FILE_PROBLEMS, Problem, StepResult
from .url import DatabaseURL, parse

# -- the targets file ------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]*")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Target:
    name: str
    url: DatabaseURL
    line: int  # in the targets file, for messages


def read_targets(path: str | Path, environ: Mapping[str, str] | None = None) -> list[Target]:
    """Parse a targets file; any bad line is a ConfigError naming it, raised before anything connects."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the targets file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_targets(text, source=str(path), base_dir=path.parent,
                         environ=os.environ if environ is None else environ)


def parse_targets(text: str, *, source: str, base_dir: Path, environ: Mapping[str, str]) -> list[Target]:
    """`name url` per line; `#` comments and blank lines are skipped; `${VAR}` comes from `environ`.

    Relative SQLite paths are taken from the targets file's folder, so the file works from anywhere.
    """
    targets: list[Target] = []
    by_name: dict[str, Target] = {}
    by_database: dict[tuple, Target] = {}
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{source}:{number}"
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) > 2 and fields[2].startswith("#"):
            fields = fields[:2]  # a trailing comment
        if len(fields) != 2:
            raise ConfigError(f"{where}: expected `name url`, found {len(fields)} field(s)")
        name, raw = fields
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: target name {name!r} may only contain letters, digits and _ . @ : -")
        url = _parse_url(_expand(raw, environ, where), where, base_dir)
        if name in by_name:
            raise ConfigError(f"{where}: target name {name!r} is already used on line {by_name[name].line}")
        identity = url.identity
        if identity in by_database:
            other = by_database[identity]
            raise ConfigError(f"{where}: target {name!r} is the same database as {other.name!r} "
                              f"(line {other.line}); each database may appear once")
        target = Target(name, url, number)
        targets.append(target)
        by_name[name] = by_database[identity] = target
    if not targets:
        raise ConfigError(f"{source}: no targets (expected lines of `name url`)")
    return targets


def _expand(raw: str, environ: Mapping[str, str], where: str) -> str:
    def value(m: re.Match) -> str:
        if m[1] not in environ:
            raise ConfigError(f"{where}: environment variable {m[1]} is not set")
        return environ[m[1]]

    return _VARIABLE.sub(value, raw)


def _parse_url(url: str, where: str, base_dir: Path) -> DatabaseURL:
    try:
        parsed = parse(url)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    if parsed.dialect == "sqlite" and not os.path.isabs(parsed.target):
        parsed = parsed._replace(target=str(base_dir / parsed.target))
    return parsed


# -- what to run on each target ------------------------------------------------------------------

@dataclass(frozen=True)
class FleetCommand:
    """One engine command with its arguments, run the same way on every target."""

    name: str  # up | down | status | verify | seed
    to: int | None = None
    count: int | None = None
    strict: bool = False
    seeds: tuple[str, ...] = ()
    scale: int = 1000

    @property
    def read_only(self) -> bool:
        return self.name in ("status", "verify")

    async def run(self, m: Migrator, result: "TargetResult") -> None:
        if self.name == "up":
            result.steps = await m.up(self.to)
        elif self.name == "down":
            result.steps = await m.down(self.count, to=self.to)
        elif self.name == "seed":
            result.steps = await m.seed(list(self.seeds), scale=self.scale)
        elif self.name == "status":
            result.status = await m.status()
        elif self.name == "verify":
            result.problems = await m.verify(strict=self.strict)
            if result.problems:
                raise ProblemsFound(result.problems, f"verify found {len(result.problems)} problem(s):")
        else:
            raise AssertionError(self.name)


class Outcome(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    STOPPED = "stopped"  # started, then stopped between two steps (another target failed, or a signal)
    SKIPPED = "skipped"  # never touched
    RUNNING = "running"  # only while the run is going on


@dataclass
class TargetResult:
    target: Target
    outcome: Outcome = Outcome.SKIPPED
    steps: list[StepResult] = field(default_factory=list)  # applied / rolled back / seeded in this run
    current: int | None = None  # the newest applied version afterwards (None: none, or never looked)
    duration_ms: int | None = None
    error: MigratorError | None = None
    status: StatusReport | None = None  # `status`
    problems: list[Problem] = field(default_factory=list)  # `verify`

    def as_json(self) -> dict:
        doc: dict = {
            "target": self.target.name,
            "url": self.target.url.display,
            "result": self.outcome.value,
            "version": self.current,
            "steps": [{"action": s.action, "version": s.version, "name": s.name, "label": s.label,
                       "duration_ms": s.duration_ms} for s in self.steps],
            "duration_ms": self.duration_ms,
            "error": None,
        }
        if self.error is not None:
            doc["error"] = {"message": self.error.message, "exit_code": self.error.exit_code,
                            "file": getattr(self.error, "path", None), "line": getattr(self.error, "line", None)}
        if self.status is not None:
            doc["status"] = self.status.as_json()
        if self.problems:
            doc["problems"] = [{"kind": p.kind.value, "message": p.message, "version": p.version}
                               for p in self.problems]
        return doc


def check_project(project_dir: str | Path, targets: Iterable[Target], command: FleetCommand) -> None:
    """Refuse before touching any database when the project is missing or its files are broken (as a
    single run does)."""
    require_project(Path(project_dir))
    if command.read_only:
        return
    for dialect in sorted({t.url.dialect for t in targets}):
        problems = [p for p in discover(Path(project_dir), dialect).problems if p.kind in FILE_PROBLEMS]
        if problems:
            raise ProblemsFound(problems, "the migration files have problems; no database was touched:")


def exit_status(results: list[TargetResult]) -> int:
    """0 all succeeded; 4 when every failure was a lock wait running out; else 1 if any target failed."""
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    if not failed:
        return 0 if all(r.outcome is Outcome.OK for r in results) else 1
    return 4 if all(isinstance(r.error, LockTimeout) for r in failed) else 1


# -- the scheduler -------------------------------------------------------------------------------

Notify = Callable[[TargetResult], None]


async def run_fleet(targets: list[Target], command: FleetCommand, *, project_dir: str | Path = ".",
                    parallel: int = 8, canary: int = 0, continue_on_error: bool = False,
                    stop: asyncio.Event | None = None, on_start: Notify | None = None,
                    on_step: Callable[[TargetResult, StepResult], None] | None = None,
                    on_finish: Notify | None = None, **connect_options) -> list[TargetResult]:
    """Run `command` on every target; one result per target, in the targets' order.

    Setting `stop` (a signal, say) is treated like a failure: nothing new starts, and running
    targets stop after their current migration. `connect_options` (lock_wait, lock_timeout,
    statement_timeout, retries) go to every target's `Migrator.connect`, as in a single run;
    `on_step` hears each target's engine progress (steps done, retries).
    """
    stop = stop or asyncio.Event()

    async def work(result: TargetResult) -> None:
        progress = (lambda step: on_step(result, step)) if on_step else None
        await _run_target(result, command, project_dir=project_dir, stop=stop,
                          connect_options=dict(connect_options, on_progress=progress))

    return await schedule([TargetResult(t) for t in targets], work, parallel=parallel, canary=canary,
                          continue_on_error=continue_on_error, stop=stop, on_start=on_start, on_finish=on_finish)


async def schedule(results: list[TargetResult], work: Callable[[TargetResult], Awaitable[None]], *,
                   parallel: int, canary: int, continue_on_error: bool, stop: asyncio.Event,
                   on_start: Notify | None = None, on_finish: Notify | None = None) -> list[TargetResult]:
    """The canaries one at a time, then the rest by `parallel` workers pulling from one queue.

    Workers, not a task per target: memory and open connections stay bounded by `parallel`
    whatever the number of targets. `work` must record failures in the result, not raise.
    """
    if parallel < 1:
        raise ConfigError("--parallel must be at least 1")
    on_start = on_start or (lambda r: None)
    on_finish = on_finish or (lambda r: None)

    async def one(result: TargetResult) -> None:
        result.outcome = Outcome.RUNNING
        on_start(result)
        await work(result)
        on_finish(result)
        if result.outcome is Outcome.FAILED and not continue_on_error:
            stop.set()

    for result in results[:canary]:
        if stop.is_set():
            return results
        await one(result)
        if result.outcome is not Outcome.OK:
            stop.set()  # a failed canary leaves every other target untouched, --continue-on-error or not
            return results

    queue = iter(results[canary:])

    async def worker() -> None:
        for result in queue:  # shared: each worker takes the next target nobody has taken
            if stop.is_set():
                return
            await one(result)

    await asyncio.gather(*(worker() for _ in range(min(parallel, max(0, len(results) - canary)))))
    return results


async def _run_target(result: TargetResult, command: FleetCommand, *, project_dir: str | Path,
                      stop: asyncio.Event, connect_options: Mapping) -> None:
    """One target through the same engine path as a single run; every failure ends up in `result`."""
    start = time.perf_counter()
    try:
        async with Migrator.connect(result.target.url, project_dir, read_only=command.read_only, stop=stop,
                                    **connect_options) as m:
            try:
                await command.run(m, result)
            finally:
                result.current = await _current(m)
        result.outcome = Outcome.OK
    except Stopped as exc:
        result.outcome, result.steps, result.error = Outcome.STOPPED, exc.done, exc
    except MigratorError as exc:
        result.outcome, result.error = Outcome.FAILED, exc
        result.steps = exc.done or result.steps
    except Exception as exc:  # a bug or a driver surprise must not take the other targets down
        result.outcome = Outcome.FAILED
        result.error = MigratorError(f"unexpected {type(exc).__name__}: {exc}")
    finally:
        result.duration_ms = int(round((time.perf_counter() - start) * 1000))


async def _current(m: Migrator) -> int | None:
    try:
        return await m.current_version()
    except Exception:  # the connection may be gone after a failure; the version is then unknown
        return None

