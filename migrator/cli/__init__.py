"""The command line: parse argv, call the API, print, and map errors to exit statuses.

`main()` is the installed `runner` command and what `python runner.py` runs. Each command is one
function in the module the dispatch table names, imported only when it runs, so `--help` and
`status` start fast.
"""
from __future__ import annotations

import gc
import importlib
import sys

EXIT_USAGE = 2

# Objects made between two cyclic garbage collections (Python's default: 700). A command keeps
# almost everything it makes (a record per file, per journal row, per line of the table) until
# it ends, so collections every 700 objects only walked the same survivors again and again:
# a tenth of `status` at 5000 migrations. Reference counting still frees everything at once;
# cyclic garbage waits for the next 100,000 objects (bench/NOTES.md: same peak memory for `up`).
OBJECTS_PER_COLLECTION = 100_000

# command → "module:function" in this package; a function is async, except the studio's server
COMMANDS = {
    "up": "commands:up", "down": "commands:down", "redo": "commands:redo", "status": "commands:status",
    "verify": "commands:verify", "new": "commands:new", "seed": "commands:seed", "baseline": "commands:baseline",
    "reset": "commands:reset", "repair": "commands:repair", "backup": "commands:backup",
    "restore": "commands:restore", "check": "checks:check", "drift": "checks:drift", "schema": "checks:schema",
    "lint": "checks:lint", "fleet": "fleet:run", "studio": "studio:serve",
}


def usage_text(prog: str = "runner") -> str:
    from .usage import USAGE
    return USAGE.replace("runner.py ", f"{prog} ").strip("\n")


def main(argv: list[str] | None = None, prog: str = "runner") -> int:
    """Run one command line; its exit status.

    Sets the process's garbage collection to OBJECTS_PER_COLLECTION and leaves it so: putting the
    default back would collect the command's objects once more on the way out, which is what the
    setting saves.
    """
    gc.set_threshold(OBJECTS_PER_COLLECTION, *gc.get_threshold()[1:])
    from .output import Output
    from .parse import UsageError, asks_for, parse_command_line

    argv = sys.argv[1:] if argv is None else argv
    out = Output()
    asked = asks_for(argv)  # -h/--help or --version anywhere answers whatever else is there
    if asked == "--help":
        print(usage_text(prog))
        return 0
    if asked == "--version":
        from .. import __version__
        print(__version__)
        return 0
    try:
        args = parse_command_line(argv)
    except UsageError as exc:
        # the sentence, then only the usage lines it is about; the options are in --help
        usage = [line.replace("runner.py ", f"{prog} ") for line in exc.usage]
        out.error([exc.message, "Usage:", *usage, f"`{prog} --help` describes every option."])
        return EXIT_USAGE
    return _run(args, out)


def _run(args, out) -> int:
    import asyncio

    from ..errors import MigratorError
    from ..runlog import RunLog
    from ..settings import setting
    from .commands import Invocation

    log = RunLog(None)
    cli = None
    try:
        log = RunLog(args["--log-file"] or setting("RUNNER_LOG_FILE", args["--dir"]), clean=out.clean,
                     warn=lambda message: out.progress(f"warning: {message}"))
        cli = Invocation(args, out, log)
        module, function = COMMANDS[args.command.split()[0]].split(":")
        command = getattr(importlib.import_module(f".{module}", __name__), function)
        status = command(cli)
        if asyncio.iscoroutine(status):
            status = asyncio.run(status)
    except MigratorError as exc:
        out.error(exc.lines())
        status = _log_error(log, args, "\n".join(exc.lines()), exc.exit_code)
    except KeyboardInterrupt:
        message = ("interrupted; the step in progress was rolled back, with those not yet reported as done "
                   "(`status` shows what is applied)")
        out.error([message])
        status = _log_error(log, args, message, 130)
    except BaseException as exc:  # a bug: the traceback is printed, the log still says how the run ended
        _log_error(log, args, f"{type(exc).__name__}: {exc}", 1)
        log.end(1)
        raise
    log.end(status)
    return status


def _log_error(log, args, message: str, exit_status: int) -> int:
    log.start(args.command, None, args["--dir"], refuse_unlogged=False)  # no-op if the run got as far as starting
    log.error(message, exit_status)
    return exit_status
