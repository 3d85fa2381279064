"""One function per command that works on one database: read the arguments, call the API, print.

Each takes the `Invocation` (arguments, output, run log, how to connect) and returns the exit
status; failures are raised as MigratorError and mapped to their status by main().
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from .numbers import connect_options, whole_number
from .output import Output, status_table, step_line


class Invocation:
    """One command line: its arguments, where it prints and logs, and the database it names."""

    def __init__(self, args, out: Output, log):
        self.args, self.out, self.log = args, out, log
        self.command = args.command
        self.dir = args["--dir"]

    @cached_property
    def url(self):
        """--url, $DATABASE_URL, .env or the default; its password is hidden from every output."""
        from ..settings import resolve_url

        url = resolve_url(self.args["--url"], self.dir)
        self.out.hide(url.password)
        self.log.start(self.command, url, self.dir)
        return url

    @cached_property
    def options(self) -> dict:
        return connect_options(self.args)

    def connect(self, *, read_only: bool = False):
        from ..engine import Migrator
        return Migrator.connect(self.url, self.dir, read_only=read_only, on_progress=self.on_progress,
                                **self.options)

    def on_progress(self, result) -> None:
        self.out.progress(step_line(result))
        self.log.step(result)

    async def take_backup(self, out_path: str | None = None) -> Path:
        from ..backup import backup
        path = await backup(self.url, self.dir, out_path, lock_wait=self.options["lock_wait"])
        self.log.write("backup", path=str(path), bytes=path.stat().st_size)
        return path


def _version(current: int | None) -> str:
    return f"{current:04d}" if current is not None else "none"


async def up(cli: Invocation) -> int:
    args, out = cli.args, cli.out
    to = whole_number(args, "--to")
    allow = args["--allow-out-of-order"]
    async with cli.connect(read_only=args["--dry-run"]) as m:
        if args["--dry-run"]:
            from ..datachecks import data_checks
            todo = await m.plan_up(to, allow_out_of_order=allow)
            for mig in todo:
                checks = data_checks(mig, m.db.dialect)
                for check in (c for c in checks if c.when == "before"):
                    out.result(f"-- before-check ({check.path}:{check.line}): any row fails {mig.label}\n{check.sql};\n")
                out.result(f"-- {mig.label} ({mig.up.display_path})")
                out.result(mig.up.sql.rstrip("\n") + "\n")
                for check in (c for c in checks if c.when == "after"):
                    out.result(f"-- after-check ({check.path}:{check.line}): any row fails {mig.label}\n{check.sql};\n")
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

        async def backup_first(pending) -> None:
            path = await cli.take_backup()
            out.progress(f"backed up the database to {path} before applying {len(pending)} migration(s)")

        done = await m.up(to, single_transaction=args["--single-transaction"], allow_out_of_order=allow,
                          before=backup_first if args["--backup"] else None)
        where = _version(await m.current_version())
        files = m.project.by_version()
    for step in done:
        if step.action == "up" and files[step.version].rollback is None:
            out.progress(f"warning: {step.label} has no rollback file rollbacks/{step.label}.sql: `down` cannot "
                         "roll it back until that file exists")
    applied = sum(1 for d in done if d.action == "up")
    reran = sum(1 for d in done if d.action == "repeatable")
    also = f" and ran {reran} repeatable(s)" if reran else ""
    out.result(f"applied {applied} migration(s){also}; database at version {where}" if done
               else f"nothing to apply; database at version {where}")
    return 0


async def down(cli: Invocation) -> int:
    args, out = cli.args, cli.out
    count, to = whole_number(args, "<count>"), whole_number(args, "--to")
    async with cli.connect(read_only=args["--dry-run"]) as m:
        if args["--dry-run"]:
            steps = await m.plan_down(count, to=to, everything=args["--all"])
            for step in steps:
                source = "the copy stored in the journal" if step.source == "journal" else step.source
                out.result(f"-- roll back {step.label} (from {source})")
                out.result(step.sql.rstrip("\n") + "\n")
            out.progress(f"dry run: {len(steps)} migration(s) would be rolled back; nothing was changed")
            return 0
        done = await m.down(count, to=to, everything=args["--all"])
        out.result(f"rolled back {len(done)} migration(s); database at version {_version(await m.current_version())}")
    return 0


async def redo(cli: Invocation) -> int:
    async with cli.connect() as m:
        done = await m.redo()
    cli.out.result(f"redid {next(d.label for d in done if d.action == 'up')}")
    return 0


async def status(cli: Invocation) -> int:
    async with cli.connect(read_only=True) as m:  # the project and the file's name are checked first
        if cli.url.dialect == "sqlite" and not os.path.exists(cli.url.target):
            cli.out.progress(f"note: {cli.url.target} does not exist (yet): every migration is pending")
        report = await m.status()
    if cli.args["--json"]:
        import json
        cli.out.result(json.dumps(report.as_json(), indent=2))
    else:
        status_table(cli.out, cli.url.display, report)
    return 0


async def verify(cli: Invocation) -> int:
    from ..errors import ProblemsFound
    async with cli.connect(read_only=True) as m:
        problems = await m.verify(strict=cli.args["--strict"])
        if problems:
            raise ProblemsFound(problems, f"verify found {len(problems)} problem(s):")
        cli.out.result(f"ok: {len(m.project.migrations)} migration(s), no problems")
    return 0


async def seed(cli: Invocation) -> int:
    scale = whole_number(cli.args, "--scale", minimum=0)
    async with cli.connect() as m:
        done = await m.seed(cli.args["<name>"], scale=scale)
    cli.out.result(f"ran {len(done)} seed file(s)")
    return 0


async def reset(cli: Invocation) -> int:
    from ..reset import check_reset_allowed
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


async def baseline(cli: Invocation) -> int:
    version = whole_number(cli.args, "<version>")
    async with cli.connect() as m:
        done = await m.baseline(version)
    cli.out.result(f"recorded {len(done)} migration(s) up to {version:04d} as applied without running them")
    return 0


async def repair(cli: Invocation) -> int:
    async with cli.connect() as m:
        changes = await m.repair()
    for change in changes:
        cli.out.result(change)
        cli.log.write("repaired", message=change)
    if not changes:
        cli.out.result("nothing to repair")
    return 0


async def backup(cli: Invocation) -> int:
    path = await cli.take_backup(cli.args["--out"])
    cli.out.progress(f"backed up {cli.url.display} ({path.stat().st_size} bytes)")
    cli.out.result(str(path))
    return 0


async def restore(cli: Invocation) -> int:
    from ..backup import restore as restore_backup
    path = await restore_backup(cli.url, cli.args["<path>"], lock_wait=cli.options["lock_wait"])
    cli.log.write("restore", path=str(path))
    async with cli.connect(read_only=True) as m:
        where = _version(await m.current_version())
    cli.out.result(f"restored {cli.url.display} from {path}; database at version {where}")
    return 0


async def new(cli: Invocation) -> int:
    from ..scaffold import scaffold
    cli.log.start("new", None, cli.dir)
    up_file, down_file = scaffold(cli.dir, cli.args["<name>"][0])  # <name> is a list: seed takes several
    cli.out.result(str(up_file))
    cli.out.result(str(down_file))
    return 0
