"""`check`, `drift`, `schema` and `lint`: call migrator.checks / migrator.lint, print what was
found, exit 3 when problems were found. None of them changes the database at --url."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError

EXIT_PROBLEMS = 3


def _scratch(cli) -> dict:
    return dict(scratch_url=cli.args["--scratch-url"], scratch_prelude=cli.args["--scratch-prelude"],
                lock_wait=cli.options["lock_wait"])


async def check(cli) -> int:
    from ..checks import check as check_migrations

    out = cli.out
    report = await check_migrations(cli.url, cli.dir, **_scratch(cli),
                                    on_result=lambda result: [out.result(line) for line in result.lines()])
    if report.failed or report.unchecked:
        out.error([f"check failed: {report.summary()}"])
        return EXIT_PROBLEMS
    out.progress(f"check passed: {report.summary()}")
    return 0


async def drift(cli) -> int:
    from ..checks import drift as find_drift

    report = await find_drift(cli.url, cli.dir, **_scratch(cli))
    for line in report.lines():
        cli.out.result(line)
    if report.differences:
        cli.out.error([f"drift: {len(report.differences)} difference(s) between the database and its migrations"])
        return EXIT_PROBLEMS
    return 0


async def schema(cli) -> int:
    from ..checks import expected_schema, live_schema
    from ..introspect.render import to_sql

    args = cli.args
    found = (await expected_schema(cli.url, cli.dir, **_scratch(cli)) if args["--from-files"]
             else await live_schema(cli.url, cli.dir))
    text = to_sql(found)
    if not args["--out"]:
        cli.out.result(text.rstrip("\n"))
        return 0
    target = Path(args["--out"])
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
    what = "the migration files'" if args["--from-files"] else "the database's"
    cli.out.progress(f"wrote {what} {found.dialect} schema to {target}")
    return 0


async def lint(cli) -> int:
    from ..lint import lint as lint_files

    args, out = cli.args, cli.out
    cli.log.start("lint", None, cli.dir)
    dialect = args["--dialect"]
    if dialect not in (None, "sqlite", "postgres"):
        raise ConfigError(f"--dialect must be sqlite or postgres, not {dialect!r}")
    report = lint_files(cli.dir, dialects=(dialect,) if dialect else ("sqlite", "postgres"),
                        min_sqlite=args["--min-sqlite"])
    if args["--json"]:
        out.result(json.dumps(report.as_json(), indent=2))
    else:
        for finding in report.findings:
            out.result(finding.text())
    for note in report.notes:
        out.progress(f"note: {note}")
    if report.failed(strict=args["--strict"]):
        out.error([f"lint found {report.summary()}"])
        return EXIT_PROBLEMS
    out.progress(f"lint passed: {report.summary()}")
    return 0
