"""`runner fleet …`: options → `migrator.fleet.run_fleet`, signals, progress on stderr, table or JSON.

The one command with a live display and signal handling. Everything printed goes through the
Output's `clean`, which knows every target's password.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import textwrap
import time
from typing import Callable

from ..errors import ConfigError, ProblemsFound
from ..fleet import FleetCommand, Outcome, TargetResult, check_project, exit_status, read_targets, run_fleet
from .numbers import connect_options, whole_number
from .output import table_text

COMMANDS = ("up", "down", "status", "verify", "seed")
VERBS = {"up": "applied", "down": "rolled back", "seed": "seeded"}


def command_from(args: dict) -> FleetCommand:
    name = next(c for c in COMMANDS if args.get(c))
    scale = whole_number(args, "--scale", minimum=0)
    return FleetCommand(name, to=whole_number(args, "--to"), count=whole_number(args, "<count>", minimum=0),
                        strict=bool(args.get("--strict")), seeds=tuple(args.get("<name>") or ()),
                        scale=1000 if scale is None else scale)


async def run(cli) -> int:
    """The whole `fleet` command: progress on stderr, the table or JSON on stdout, and one `target`
    line in the run log per finished target."""
    args, out, log = cli.args, cli.out, cli.log
    if args.get("--url"):
        raise ConfigError("fleet takes its databases from --targets; --url does not apply")
    command = command_from(args)
    parallel = whole_number(args, "--parallel", minimum=1)
    canary = whole_number(args, "--canary", minimum=0)
    targets = read_targets(args["--targets"])
    check_project(args["--dir"], targets, command)

    for target in targets:
        out.hide(target.url.password)
    clean = out.clean

    progress = (LiveProgress if sys.stderr.isatty() else PlainProgress)(len(targets), command.name, clean, out)
    log.start(f"fleet {command.name}", None, args["--dir"])

    def finished(result: TargetResult) -> None:
        progress.finished(result)
        log.write("target", **_log_fields(result))  # the log hides passwords with the same out.clean

    stop = asyncio.Event()
    start = time.perf_counter()
    with _stop_on_signals(stop, progress) as received:
        if canary:
            progress.note(f"canary: the first {min(canary, len(targets))} target(s) run one at a time first")
        try:
            results = await run_fleet(targets, command, project_dir=args["--dir"], parallel=parallel,
                                      canary=canary, continue_on_error=args["--continue-on-error"],
                                      stop=stop, on_start=progress.started, on_step=progress.step,
                                      on_finish=finished,
                                      **connect_options(args))
        finally:
            progress.close()
    elapsed = time.perf_counter() - start
    signame = signal.Signals(received[0]).name if received else None

    if args["--json"]:
        for chunk in json_chunks(results, command.name, elapsed, signame, clean):
            out.result(chunk)
    else:
        out.result(table(results, command.name))  # out.result hides every target's password
        out.result(summary(results, command.name, elapsed, signame))
    if received:
        return 128 + received[0]
    return exit_status(results)


def _log_fields(result: TargetResult) -> dict:
    return {"target": result.target.name, "url": result.target.url.display, "result": result.outcome.value,
            "version": result.current, "steps": [s.label for s in result.steps], "duration_ms": result.duration_ms,
            "error": result.error.message if result.error else None}


def _cleaned(doc, clean: Callable[[str], str]):
    if isinstance(doc, str):
        return clean(doc)
    if isinstance(doc, dict):
        return {key: _cleaned(value, clean) for key, value in doc.items()}
    if isinstance(doc, list):
        return [_cleaned(value, clean) for value in doc]
    return doc


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event, progress):
    """SIGINT/SIGTERM once: nothing new starts and running targets stop after their current migration.

    A second signal ends the process at once; an open transaction dies with its connection, so
    even then no migration is left half-applied.
    """
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def handle(signum: int) -> None:
        if received:
            progress.close()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        received.append(signum)
        stop.set()
        progress.note(f"received {signal.Signals(signum).name}: no new target starts; running targets finish "
                      "their current migration (send it again to stop at once)")

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows, not main thread
            loop.add_signal_handler(signum, handle, signum)
            installed.append(signum)
    try:
        yield received
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


# -- describing results ----------------------------------------------------------------------------

def _versions(versions: list[int]) -> str:
    if not versions:
        return "-"
    if len(versions) > 2 and all(abs(b - a) == 1 for a, b in zip(versions, versions[1:])):
        return f"{versions[0]:04d}..{versions[-1]:04d} ({len(versions)})"
    return ", ".join(f"{v:04d}" for v in versions)


def _changed(result: TargetResult) -> str:
    """The versions a run applied, rolled back or seeded, compactly; repeatables (no version) counted."""
    text = _versions([s.version for s in result.steps if s.version is not None])
    repeatables = sum(1 for s in result.steps if s.version is None)
    if repeatables:
        text = ("" if text == "-" else text + " + ") + f"{repeatables} repeatable(s)"
    return text


def _what(result: TargetResult, command: str) -> str:
    """The command-specific column: what changed, or what was found."""
    if command == "status":
        if result.status is None:
            return "-"
        counts: dict[str, int] = {}
        for m in result.status.migrations:
            counts[m.state.value] = counts.get(m.state.value, 0) + 1
        return ", ".join(f"{n} {state}" for state, n in counts.items()) or "no migrations"
    if command == "verify":
        if result.outcome is Outcome.SKIPPED or (result.error and not result.problems):
            return "-"
        return f"{len(result.problems)} problem(s)" if result.problems else "no problems"
    return _changed(result)


def error_text(result: TargetResult) -> str:
    err = result.error
    if err is None:
        return ""
    if isinstance(err, ProblemsFound) and err.problems:
        more = f" (+{len(err.problems) - 1} more)" if len(err.problems) > 1 else ""
        return f"{err.problems[0]}{more}"
    return err.lines()[0]


def _version(result: TargetResult) -> str:
    if result.outcome is Outcome.SKIPPED:
        return "-"
    return f"{result.current:04d}" if result.current is not None else "none"


def table(results: list[TargetResult], command: str) -> str:
    header = {"up": "APPLIED", "down": "ROLLED BACK", "seed": "SEEDED", "status": "STATE", "verify": "PROBLEMS"}
    rows = [("TARGET", "RESULT", "VERSION", header[command], "DURATION", "ERROR")]
    for r in results:
        rows.append((r.target.name, r.outcome.value, _version(r), _what(r, command),
                     f"{r.duration_ms} ms" if r.duration_ms is not None else "-", error_text(r)))
    return table_text(rows, right_aligned={4})  # durations line up on the right


def _counts(results: list[TargetResult]) -> dict[str, int]:
    counts = {o.value: 0 for o in (Outcome.OK, Outcome.FAILED, Outcome.STOPPED, Outcome.SKIPPED)}
    for r in results:
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
    return counts


def summary(results: list[TargetResult], command: str, elapsed: float, signame: str | None) -> str:
    counts = ", ".join(f"{n} {what}" for what, n in _counts(results).items() if n)
    text = f"fleet {command}: {len(results)} target(s) in {elapsed:.1f} s: {counts}"
    return text + (f" (stopped by {signame})" if signame else "")


def as_json(results: list[TargetResult], command: str, elapsed: float, signame: str | None) -> dict:
    return {"command": command, "targets": len(results), "elapsed_ms": int(round(elapsed * 1000)),
            "interrupted_by": signame, "summary": _counts(results), "results": [r.as_json() for r in results]}


def json_chunks(results: list[TargetResult], command: str, elapsed: float, signame: str | None,
                clean: Callable[[str], str]):
    """`as_json(...)` as `json.dumps(indent=2)` would print it, one target at a time, so a fleet of
    thousands never holds the whole document in memory. Strings are cleaned before encoding:
    JSON escapes would hide a password with a quote or a backslash in it."""
    head = as_json([], command, elapsed, signame)
    head.update(targets=len(results), summary=_counts(results))
    text = json.dumps(_cleaned(head, clean), indent=2)
    if not results:
        yield text
        return
    yield text[:text.rindex('"results": []')] + '"results": ['
    for i, result in enumerate(results):
        item = json.dumps(_cleaned(result.as_json(), clean), indent=2)
        yield textwrap.indent(item, "    ") + ("," if i < len(results) - 1 else "")
    yield "  ]\n}"


def describe(result: TargetResult, command: str) -> str:
    """One line for the plain progress stream, e.g. `ok, applied 0001..0003 (3) in 45 ms`."""
    took = f"in {result.duration_ms} ms"
    changed = _changed(result)
    if result.outcome is Outcome.OK:
        if command not in VERBS:
            return f"ok, at version {_version(result)}, {_what(result, command)} {took}"
        if not result.steps:
            return f"ok, nothing to do, at version {_version(result)} {took}"
        return f"ok, {VERBS[command]} {changed} {took}"
    text = f"{result.outcome.value} {took}"
    if result.steps:
        text += f" ({VERBS[command]} {changed} first)"
    return f"{text}: {error_text(result)}" if result.outcome is Outcome.FAILED else text


# -- progress on stderr ----------------------------------------------------------------------------

class PlainProgress:
    """One line per finished target, for logs and CI (stderr is not a terminal)."""

    def __init__(self, total: int, command: str, clean: Callable[[str], str], out):
        self.total, self.command, self.clean, self.out = total, command, clean, out
        self.finished_count = 0

    def started(self, result: TargetResult) -> None:
        pass

    def step(self, result: TargetResult, step) -> None:
        if step.action == "retry":  # the rest shows in the line per target
            self.note(f"{result.target.name}: retrying {step.label} in {step.duration_ms / 1000:g} s: {step.source}")

    def finished(self, result: TargetResult) -> None:
        self.finished_count += 1
        width = len(str(self.total))
        self.note(f"[{self.finished_count:>{width}}/{self.total}] {result.target.name}: "
                  f"{describe(result, self.command)}")
        if result.outcome is Outcome.FAILED and result.error is not None:
            for line in result.error.lines()[1:]:
                self.note(f"    {line}")

    def note(self, text: str) -> None:
        self.out.progress(text)  # Output hides every target's password

    def close(self) -> None:
        pass


class LiveProgress(PlainProgress):
    """A live bar on the terminal: targets done / failed / running and the time elapsed (rich)."""

    def __init__(self, total: int, command: str, clean: Callable[[str], str], out):
        super().__init__(total, command, clean, out)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.failed = self.running = 0
        self.bar = Progress(SpinnerColumn(), TextColumn(f"fleet {command}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("done, {task.fields[failed]} failed, {task.fields[running]} running"),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("", total=total, failed=0, running=0)
        self.bar.start()
        self.closed = False

    def started(self, result: TargetResult) -> None:
        self.running += 1
        self.bar.update(self.task, running=self.running)

    def finished(self, result: TargetResult) -> None:
        self.running -= 1
        self.failed += result.outcome is Outcome.FAILED
        self.bar.update(self.task, advance=1, running=self.running, failed=self.failed)
        if result.outcome is Outcome.FAILED:  # failures scroll above the bar; the table has the rest
            self.note(f"{result.target.name}: {describe(result, self.command)}")

    def note(self, text: str) -> None:
        self.bar.console.print(self.clean(text), markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bar.stop()
