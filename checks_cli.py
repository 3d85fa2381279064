"""The command-line side of `check`, `drift`, `schema` and `lint` (runner.py dispatches here).

Like runner.py it only calls the API (migrator.checks, migrator.lint), prints through
runner's `Output`, and maps what was found to an exit status: 3 when problems were found.
None of these commands changes the database at --url.
"""
from __future__ import annotations

import json
from pathlib import Path

EXIT_PROBLEMS = 3


async def run_checks(args: dict, out, *, lock_wait: float) -> int:
    from migrator.engine import resolve_url
    from migrator.errors import ConfigError

    if args["lint"]:
        return _lint(args, out)

    url = resolve_url(args["--url"], args["--dir"])
    out.password = url.password
    common = dict(scratch_url=args["--scratch-url"], scratch_prelude=args["--scratch-prelude"], lock_wait=lock_wait)

    if args["check"]:
        from migrator.checks import check

        report = await check(url, args["--dir"], **common,
                             on_result=lambda result: [out.result(line) for line in result.lines()])
        if report.failed or report.unchecked:
            out.error([f"check failed: {report.summary()}"])
            return EXIT_PROBLEMS
        out.progress(f"check passed: {report.summary()}")
        return 0

    if args["drift"]:
        from migrator.checks import drift

        report = await drift(url, args["--dir"], **common)
        for line in report.lines():
            out.result(line)
        if report.differences:
            out.error([f"drift: {len(report.differences)} difference(s) between the database and its migrations"])
            return EXIT_PROBLEMS
        return 0

    if args["schema"]:
        from migrator.checks import expected_schema, live_schema
        from migrator.introspect.render import to_sql

        schema = (await expected_schema(url, args["--dir"], **common) if args["--from-files"]
                  else await live_schema(url, args["--dir"]))
        text = to_sql(schema)
        if not args["--out"]:
            out.result(text.rstrip("\n"))
            return 0
        target = Path(args["--out"])
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
        what = "the migration files'" if args["--from-files"] else "the database's"
        out.progress(f"wrote {what} {schema.dialect} schema to {target}")
        return 0
    raise AssertionError("unhandled command")


def _lint(args: dict, out) -> int:
    from migrator.errors import ConfigError
    from migrator.lint import lint

    dialect = args["--dialect"]
    if dialect not in (None, "sqlite", "postgres"):
        raise ConfigError(f"--dialect must be sqlite or postgres, not {dialect!r}")
    report = lint(args["--dir"], dialects=(dialect,) if dialect else ("sqlite", "postgres"),
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
