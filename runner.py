"""SQL migration runner: numbered SQL files, paired rollbacks, a checksummed journal.

Usage:
  runner.py up [--to=<version>] [--dry-run | --test] [--single-transaction] [--backup] [options]
  runner.py down [<count>] [--to=<version> | --all] [--dry-run] [options]
  runner.py redo [options]
  runner.py status [--json] [options]
  runner.py verify [--strict] [options]
  runner.py new <name> [options]
  runner.py seed [<name>...] [--scale=<n>] [options]
  runner.py baseline <version> [options]
  runner.py reset [--no-seed] [--force] [--scale=<n>] [options]
  runner.py repair [options]
  runner.py backup [--out=<path>] [options]
  runner.py restore <path> [options]
  runner.py check [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py drift [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py schema [--out=<path>] [--from-files] [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py lint [--json] [--strict] [--dialect=<dialect>] [--min-sqlite=<version>] [options]
  runner.py fleet up --targets=<file> [--to=<version>] [--json] [options]
  runner.py fleet down [<count>] --targets=<file> [--to=<version>] [--json] [options]
  runner.py fleet status --targets=<file> [--json] [options]
  runner.py fleet verify --targets=<file> [--strict] [--json] [options]
  runner.py fleet seed [<name>...] --targets=<file> [--scale=<n>] [--json] [options]
  runner.py studio [--port=<n>] [--host=<addr>] [--token=<token>] [options]
  runner.py (-h | --help)
  runner.py --version

Options:
  --url=<url>             Database URL; else $DATABASE_URL, else DATABASE_URL in <dir>/.env,
                          else file:./dev.db (SQLite).
  --dir=<path>            Project directory holding sql/, rollbacks/, seeds/ and .env [default: .]
  --lock-wait=<seconds>   How long to wait for another runner's lock before exit 4 [default: 30]
  --lock-timeout=<seconds>  PostgreSQL: how long one statement may wait for a table lock before the
                          migration fails (or is retried) instead of stalling every query queued
                          behind it; 0 waits forever [default: 5]
  --statement-timeout=<seconds>  PostgreSQL: the longest one statement may run (default: no limit).
  --retries=<n>           Retry a migration that failed waiting for a lock, n times with backoff
                          (0.5 s, 1 s, 2 s, … up to 30 s) [default: 0]
  --log-file=<path>       Append one JSON line per event of this run (start, each step, errors,
                          end); else $RUNNER_LOG_FILE, else RUNNER_LOG_FILE in <dir>/.env.
  --to=<version>          up: stop after this version; down: leave this version and older applied.
  --all                   down: roll back every applied migration.
  --dry-run               Print the SQL that would run, in order, and change nothing.
  --test                  up: apply every pending migration in one transaction on the real
                          database, report what would fail, and roll it all back.
  --single-transaction    up: all pending migrations in one transaction, all or nothing.
  --backup                up: take a backup first (as `backup` does) when something is pending.
  --out=<path>            backup: the file to write (never overwritten) or an existing folder;
                          default <dir>/backups/<dbname>-<UTC time>.<dump|db>;
                          schema: write the SQL text to this file instead of stdout.
  --json                  status, lint, fleet: one JSON document on stdout.
  --strict                verify: pending migrations are problems too (is the database fully migrated?);
                          lint: warnings fail too.
  --scale=<n>             seed: the number the seeds read from runner_seed.scale [default: 1000]
  --no-seed               reset: do not run the seeds after `up`.
  --force                 reset: also on a database that is not local (never with RUNNER_ENV=production).
  --scratch-url=<url>     check, drift, schema: an empty database to apply migrations in; default: a temporary
                          SQLite file, or a temporary database on the --url PostgreSQL server, dropped after.
  --scratch-prelude=<file>  check, drift, schema: SQL run on the scratch database before the migrations
                          (extensions, another tool's tables), in one transaction.
  --from-files            schema: the schema the migration files give (built on a scratch database).
  --dialect=<dialect>     lint: only the files of this dialect (sqlite or postgres); default: both.
  --min-sqlite=<version>  lint: the oldest SQLite the migrations must run on; default: the runner's own.
  --port=<n>              studio: the port to serve on (0: any free one) [default: 4983]
  --host=<addr>           studio: the address to serve on; anything but loopback needs a token [default: 127.0.0.1]
  --token=<token>         studio: require this token on every request (generated and printed when
                          the host is not loopback and none is given).
  -h --help               Show this help.
  --version               Show the runner's version.

Fleet options (the same command on every database of a targets file):
  --targets=<file>        Lines of `name url`; # comments; ${VAR} is taken from the environment.
  --parallel=<n>          How many targets run at once, each with its own connection [default: 8]
  --canary=<k>            Run the first k targets one at a time first; any failure there stops the fleet
                          [default: 0]
  --continue-on-error     Keep starting targets after one fails (without it, the first failure stops new
                          targets; running ones stop after their current migration).

backup writes a consistent copy (PostgreSQL: pg_dump -Fc; SQLite: the online backup API), readable
by its owner only, and prints its path. restore <path> puts a backup back (PostgreSQL: in one
transaction, through pg_restore and psql; SQLite: through the backup API into the live file).

studio serves a read-only browser view of the database (migrations, events, schema, data) until Ctrl-C.

Exit status: 0 success; 1 a migration, seed, backup or restore failed; 2 usage or configuration
error (also: pg_dump/pg_restore/psql not installed, a file that is not a backup); 3 verify found
problems (and up refusing for the same reasons), check/drift/lint found problems; 4 the lock was
not taken in time.
fleet: 0 every target succeeded; 1 a target failed; 2 configuration; 4 every failure was a lock wait;
128+N stopped by signal N (SIGINT 130, SIGTERM 143).
Progress goes to stderr, results to stdout.
"""
from __future__ import annotations

import sys

from docopt import DocoptExit, docopt

from cli_numbers import connect_options, seconds, whole_number

# Everything else is imported where it is needed, so `--help` and `status` start fast.

EXIT_USAGE = 2


class Output:
    """The one place anything is printed, so a password can never slip through."""

    def __init__(self, password: str | None = None):
        self.password = password

    def _clean(self, text: str) -> str:
        from migrator.url import redact
        return redact(text, self.password)

    def result(self, text: str = "") -> None:
        print(self._clean(text), file=sys.stdout, flush=True)

    def progress(self, text: str) -> None:
        print(self._clean(text), file=sys.stderr, flush=True)

    def error(self, lines: list[str]) -> None:
        first, *rest = lines or ["unknown error"]
        self.progress(f"error: {first}")
        for line in rest:
            self.progress(line)


class Arguments(dict):
    """docopt's result, where a command or argument of another command's usage line reads as absent."""

    def __missing__(self, key: str):
        return [] if key in LIST_ARGUMENTS else None if key.startswith("<") else False


LIST_ARGUMENTS = ("<name>",)  # `seed <name>...` makes it a list for every command, `new` included


def parse_command_line(argv: list[str]) -> Arguments:
    """docopt on the usage lines of the command asked for, else on the whole usage.

    docopt's matching grows with the square of the usage's size: the whole of it costs ~50 ms
    here, a third of what `status` takes, against ~8 ms for one command's lines. A command line
    no command's lines take is parsed on the whole usage, so its error reads as it always did.

    On one command's lines docopt's `[options]` takes every option those lines do not name, even
    another command's (`status --backup`, `up --parallel=4`), which would then be silently ignored;
    an option the command's usage lines do not name, and that is not one of every command's, is
    refused here.
    """
    if argv in (["-h"], ["--help"]):  # what docopt prints, without parsing the whole usage first
        print(__doc__.strip("\n"))
        sys.exit()
    usage, options = __doc__.split("\nOptions:", 1)
    lines = usage.split("Usage:\n", 1)[1].splitlines()
    if not {"-h", "--help", "--version"} & set(argv):
        for word in (a for a in argv if not a.startswith("-")):
            mine = [line for line in lines if line.split()[1:2] == [word]]
            if not mine:
                continue
            try:
                args = Arguments(docopt("Usage:\n" + "\n".join(mine) + "\n\nOptions:" + options, argv=argv))
            except DocoptExit:
                continue  # e.g. `--dir up status`: "up" is a value here, not the command
            chosen = [line for line in mine if all(args[w] for w in _command_words(line))]  # fleet up, fleet down…
            _refuse_options_of_other_commands(argv, " ".join(_command_words(chosen[0])), chosen, options)
            for key in LIST_ARGUMENTS:
                if isinstance(args.get(key), str):
                    args[key] = [args[key]]
            return args
    return Arguments(docopt(__doc__, argv=argv, version=_LazyVersion()))


def _command_words(usage_line: str) -> list[str]:
    words = []
    for token in usage_line.split()[1:]:
        if token[0] in "[<(-":
            break
        words.append(token)
    return words


COMMON_OPTIONS = {"--url", "--dir", "--lock-wait", "--lock-timeout", "--statement-timeout", "--retries", "--log-file"}
FLEET_OPTIONS = {"--parallel", "--canary", "--continue-on-error"}


def _refuse_options_of_other_commands(argv: list[str], command: str, usage_lines: list[str], options: str) -> None:
    import re

    known = set(re.findall(r"--[a-z][a-z-]*", options))
    allowed = set(re.findall(r"--[a-z][a-z-]*", " ".join(usage_lines))) | COMMON_OPTIONS
    if command.startswith("fleet"):
        allowed |= FLEET_OPTIONS
    for token in argv:
        if token == "--" or not token.startswith("--"):
            continue
        given = token.split("=", 1)[0]
        matches = [given] if given in known else [o for o in known if o.startswith(given)]  # docopt takes prefixes
        if len(matches) == 1 and matches[0] not in allowed:
            raise DocoptExit(f"{matches[0]} does not apply to `{command}`")


def _progress_line(result) -> str:
    label = result.label
    if result.action == "retry":
        return f"retrying {label} in {result.duration_ms / 1000:g} s: {result.source}"
    verb = {"up": "applied", "down": "rolled back", "seed": "seeded", "baseline": "baselined",
            "test": "tested", "repeatable": "ran"}[result.action]
    text = f"{verb} {label} ({result.duration_ms} ms)"
    if result.action == "down" and result.source:
        text += f" using {result.source}" if "journal" not in result.source else " using the copy stored in the journal"
    return text


COMMANDS = ("up", "down", "redo", "status", "verify", "new", "seed", "baseline", "reset", "repair", "backup",
            "restore", "check", "drift", "schema", "lint", "studio")


def _command(args: dict) -> str:
    return next(c for c in COMMANDS if args.get(c))


async def run(args: dict, out: Output, log) -> int:
    """Run the command the arguments name; its exit status."""
    if args["fleet"]:
        import fleet_cli
        return await fleet_cli.run(args, out, log)
    command = _command(args)
    if command == "new":
        from migrator.engine import scaffold
        log.start("new", None, args["--dir"])
        up, down = scaffold(args["--dir"], args["<name>"][0])  # <name> is a list: seed takes several
        out.result(str(up))
        out.result(str(down))
        return 0
    if command in ("check", "drift", "schema", "lint"):
        from checks_cli import run_checks
        log.start(command, None, args["--dir"])
        return await run_checks(args, out, lock_wait=seconds(args, "--lock-wait"))

    from migrator.engine import resolve_url
    url = resolve_url(args["--url"], args["--dir"])
    out.password = url.password
    log.start(command, url, args["--dir"])
    return await DATABASE_COMMANDS[command](Invocation(args, out, log, url))


class Invocation:
    """One command against one database: its arguments, where it prints and logs, how it connects."""

    def __init__(self, args: dict, out: Output, log, url):
        self.args, self.out, self.log, self.url = args, out, log, url
        self.dir = args["--dir"]
        self.options = connect_options(args)
        self.lock_wait = self.options["lock_wait"]

    def connect(self, *, read_only: bool = False):
        from migrator import Migrator
        return Migrator.connect(self.url, self.dir, read_only=read_only, on_progress=self.on_progress,
                                **self.options)

    def on_progress(self, result) -> None:
        self.out.progress(_progress_line(result))
        self.log.step(result)

    async def take_backup(self, out_path: str | None = None):
        from migrator.backup import backup
        path = await backup(self.url, self.dir, out_path, lock_wait=self.lock_wait)
        self.log.write("backup", path=str(path), bytes=path.stat().st_size)
        return path

    async def where(self, m) -> str:
        """The database's version after a change, as the closing line prints it."""
        current = await m.current_version()
        return f"{current:04d}" if current is not None else "none"


async def backup_command(cli: Invocation) -> int:
    path = await cli.take_backup(cli.args["--out"])
    cli.out.progress(f"backed up {cli.url.display} ({path.stat().st_size} bytes)")
    cli.out.result(str(path))
    return 0


async def restore_command(cli: Invocation) -> int:
    from migrator.backup import restore
    path = await restore(cli.url, cli.args["<path>"], lock_wait=cli.lock_wait)
    cli.log.write("restore", path=str(path))
    async with cli.connect(read_only=True) as m:
        cli.out.result(f"restored {cli.url.display} from {path}; database at version {await cli.where(m)}")
    return 0


async def status_command(cli: Invocation) -> int:
    async with cli.connect(read_only=True) as m:
        report = await m.status()
    if cli.args["--json"]:
        import json
        cli.out.result(json.dumps(report.as_json(), indent=2))
    else:
        _print_status(cli.out, cli.url.display, report)
    return 0


async def verify_command(cli: Invocation) -> int:
    from migrator import ProblemsFound
    async with cli.connect(read_only=True) as m:
        problems = await m.verify(strict=cli.args["--strict"])
        if problems:
            raise ProblemsFound(problems, f"verify found {len(problems)} problem(s):")
        cli.out.result(f"ok: {len(m.project.migrations)} migration(s), no problems")
    return 0


async def up_command(cli: Invocation) -> int:
    args, out = cli.args, cli.out
    to = whole_number(args, "--to")
    async with cli.connect(read_only=args["--dry-run"]) as m:
        if args["--dry-run"]:
            todo = await m.plan_up(to)
            for mig in todo:
                out.result(f"-- {mig.label} ({mig.up.display_path})")
                out.result(mig.up.sql.rstrip("\n") + "\n")
            repeatables = await m.plan_repeatables() if to is None else []
            for r in repeatables:
                out.result(f"-- {r.label} ({r.script.display_path}, new or changed)")
                out.result(r.script.sql.rstrip("\n") + "\n")
            out.progress(f"dry run: {len(todo)} migration(s) and {len(repeatables)} repeatable(s) would be "
                         "applied; nothing was changed")
            return 0
        if args["--test"]:
            tested = await m.up_test(to)
            out.result(f"test passed: {len(tested)} migration(s) applied and rolled back; the database is unchanged")
            return 0
        async def backup_first(pending) -> None:  # under the run lock: no other runner changes it meanwhile
            path = await cli.take_backup()
            out.progress(f"backed up the database to {path} before applying {len(pending)} migration(s)")

        done = await m.up(to, single_transaction=args["--single-transaction"],
                          before=backup_first if args["--backup"] else None)
        where = await cli.where(m)
    applied = sum(1 for d in done if d.action == "up")
    reran = sum(1 for d in done if d.action == "repeatable")
    also = f" and ran {reran} repeatable(s)" if reran else ""
    out.result(f"applied {applied} migration(s){also}; database at version {where}" if done
               else f"nothing to apply; database at version {where}")
    return 0


async def down_command(cli: Invocation) -> int:
    args, out = cli.args, cli.out
    count, to = whole_number(args, "<count>"), whole_number(args, "--to")
    async with cli.connect(read_only=args["--dry-run"]) as m:
        if args["--dry-run"]:
            steps = await m.plan_down(count, to=to, everything=args["--all"])
            for step in steps:
                source = "the copy stored in the journal" if step.source == "journal" else step.source
                out.result(f"-- roll back {step.version:04d}_{step.name} (from {source})")
                out.result(step.sql.rstrip("\n") + "\n")
            out.progress(f"dry run: {len(steps)} migration(s) would be rolled back; nothing was changed")
            return 0
        done = await m.down(count, to=to, everything=args["--all"])
        out.result(f"rolled back {len(done)} migration(s); database at version {await cli.where(m)}")
    return 0


async def redo_command(cli: Invocation) -> int:
    async with cli.connect() as m:
        done = await m.redo()
    cli.out.result(f"redid {next(d.label for d in done if d.action == 'up')}")
    return 0


async def seed_command(cli: Invocation) -> int:
    scale = whole_number(cli.args, "--scale", minimum=0)
    async with cli.connect() as m:
        done = await m.seed(cli.args["<name>"], scale=scale)
    cli.out.result(f"ran {len(done)} seed file(s)")
    return 0


async def reset_command(cli: Invocation) -> int:
    from migrator.engine import check_reset_allowed
    args, out = cli.args, cli.out
    check_reset_allowed(cli.url, force=args["--force"])  # before connecting to anything
    async with cli.connect() as m:
        result = await m.reset(seed=not args["--no-seed"], force=args["--force"],
                               scale=whole_number(args, "--scale", minimum=0))
    for what in result.dropped:
        out.result(f"dropped {what}")
    applied = sum(1 for d in result.applied if d.action == "up")
    out.result(f"reset: dropped {len(result.dropped)} object(s), applied {applied} migration(s), "
               f"ran {len(result.seeded)} seed file(s)")
    return 0


async def baseline_command(cli: Invocation) -> int:
    version = whole_number(cli.args, "<version>")
    async with cli.connect() as m:
        done = await m.baseline(version)
    cli.out.result(f"recorded {len(done)} migration(s) up to {version:04d} as applied without running them")
    return 0


async def repair_command(cli: Invocation) -> int:
    async with cli.connect() as m:
        changes = await m.repair()
    for change in changes:
        cli.out.result(change)
        cli.log.write("repaired", message=change)
    if not changes:
        cli.out.result("nothing to repair")
    return 0


DATABASE_COMMANDS = {
    "backup": backup_command, "restore": restore_command, "status": status_command, "verify": verify_command,
    "up": up_command, "down": down_command, "redo": redo_command, "seed": seed_command, "reset": reset_command,
    "baseline": baseline_command, "repair": repair_command,
}


def studio(args: dict, out: Output, log) -> int:
    """Serve the studio until Ctrl-C: check the database answers, bind, print the address, run uvicorn."""
    import secrets

    import asyncio

    import uvicorn

    from migrator import Migrator
    from migrator.engine import resolve_url
    from migrator.studio import create_app
    from migrator.studio.listen import address_of, bind, is_loopback

    url = resolve_url(args["--url"], args["--dir"])
    out.password = url.password
    log.start("studio", url, args["--dir"])
    port, host, token = whole_number(args, "--port"), args["--host"], args["--token"]
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
    timeouts = connect_options(args)
    del timeouts["retries"]  # the studio never changes anything
    timeouts["statement_timeout"] = timeouts["statement_timeout"] or 10.0  # no page waits forever

    async def check() -> None:  # a bad URL or an unreachable server is an error now, not on the first page
        async with Migrator.connect(url, args["--dir"], read_only=True, **timeouts) as m:
            await m.status()

    asyncio.run(check())
    sock = bind(host, port)
    address = address_of(sock) + (f"?token={token}" if token else "")
    app = create_app(url, args["--dir"], token=token, **timeouts)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    out.progress(f"studio for {url.display} (read-only); press Ctrl-C to stop")
    out.result(address)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and passes the Ctrl-C on
    finally:
        sock.close()
    out.progress("studio stopped")
    return 0


def _table(out: Output, rows: list[tuple[str, ...]], right_aligned_last: bool = False) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    last = len(widths) - 1
    # One write for the whole table: a thousand flushed prints cost more than the rest of `status`.
    out.result("\n".join("  ".join(c.rjust(widths[i]) if right_aligned_last and i == last else c.ljust(widths[i])
                                   for i, c in enumerate(r)).rstrip() for r in rows))


def _print_status(out: Output, display_url: str, report) -> None:
    out.result(f"database: {display_url} ({report.dialect})")
    rows = [("VERSION", "NAME", "STATE", "APPLIED AT", "DURATION")]
    for s in report.migrations:
        state = s.state.value.upper() if s.state.value in ("modified", "missing", "failed") else s.state.value
        rows.append((f"{s.version:04d}", s.name, state, s.applied_at or "-",
                     f"{s.duration_ms} ms" if s.duration_ms is not None else "-"))
    _table(out, rows, right_aligned_last=True)
    if report.repeatables:
        out.result("")
        _table(out, [("REPEATABLE", "STATE", "LAST RUN")] +
               [(r.name, r.state, r.applied_at or "-") for r in report.repeatables])
    counts: dict[str, int] = {}
    for s in report.migrations:
        counts[s.state.value] = counts.get(s.state.value, 0) + 1
    current = f"{report.current:04d}" if report.current is not None else "none"
    summary = ", ".join(f"{n} {state}" for state, n in counts.items()) or "no migrations"
    out.result(f"current version: {current} ({summary})")


class _LazyVersion:
    def __str__(self) -> str:
        from migrator import __version__
        return __version__


def main(argv: list[str] | None = None) -> int:
    out = Output()
    try:
        # The version is looked up only when asked for, so --help (which exits here) and every
        # other command start without importing the engine first.
        args = parse_command_line(sys.argv[1:] if argv is None else argv)
    except DocoptExit as exc:
        out.error(["invalid command line; see --help", str(exc).strip()])
        return EXIT_USAGE
    import asyncio

    from migrator.errors import MigratorError
    from migrator.runlog import RunLog
    from migrator.settings import setting

    log = RunLog(None)
    try:
        log = RunLog(args["--log-file"] or setting("RUNNER_LOG_FILE", args["--dir"]))
        status = studio(args, out, log) if args["studio"] else asyncio.run(run(args, out, log))
    except MigratorError as exc:
        out.error(exc.lines())
        status = _log_error(log, args, "\n".join(exc.lines()), exc.exit_code)
    except KeyboardInterrupt:
        message = "interrupted; the step in progress was rolled back"
        out.error([message])
        status = _log_error(log, args, message, 130)
    except BaseException as exc:  # a bug: the traceback is printed, the log still says how the run ended
        _log_error(log, args, f"{type(exc).__name__}: {exc}", 1)
        log.end(1)
        raise
    log.end(status)
    return status


def _log_error(log, args: dict, message: str, exit_status: int) -> int:
    log.start(_command(args), None, args["--dir"])  # no-op if the run got as far as starting
    log.error(message, exit_status)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
