"""squawk (https://squawkhq.com, `pip install squawk-cli`): the PostgreSQL migration linter, run as
a subprocess with `--reporter=json` and mapped into our findings.

Files that run in a transaction are linted with `--assume-in-transaction` (the runner wraps
them in one), `-- runner: no-transaction` files without it. squawk runs in the project
directory, so a project's own `.squawk.toml` applies; rule exclusions are applied by us after
the run, because `--exclude` on the command line would override that file's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

# Rules whose findings fail `lint` (exit 3): locks that block an existing table's reads or
# writes, table rewrites, statements that break running clients or fail under the runner.
# Every other squawk rule is a warning.
ERRORS = frozenset({
    "adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
    "adding-required-field", "adding-serial-primary-key-field", "ban-concurrent-index-creation-in-transaction",
    "ban-drop-database", "ban-duplicate-column-assignments", "ban-truncate-cascade", "ban-uncommitted-transaction",
    "changing-column-type", "constraint-missing-not-valid", "disallowed-unique-constraint", "identifier-too-long",
    "renaming-column", "renaming-table", "require-concurrent-index-creation", "require-concurrent-index-deletion",
    "require-concurrent-partition-detach", "require-concurrent-reindex", "syntax-error", "transaction-nesting",
    # only reported for no-transaction files: `repair` + `up` runs such a file again from its start
    "prefer-robust-stmts",
})
# Not reported: drops are covered on both dialects by our own `drop-without-backup` (which accepts
# a backup note); the runner itself sets lock_timeout for every migration that runs in a
# transaction (--lock-timeout, 5 s by default) and statement_timeout when asked (--statement-timeout),
# with SET LOCAL. A no-transaction file runs outside any transaction, without them: reported there.
HANDLED = frozenset({"ban-drop-table", "ban-drop-column"})
TIMEOUTS = frozenset({"require-lock-timeout", "require-statement-timeout", "require-timeout-settings"})
# A rollback that renames back undoes its up file's rename (which is reported there): a warning.
UNDOES = frozenset({"renaming-column", "renaming-table"})


@dataclass(frozen=True)
class Violation:
    file: str  # as given to squawk: the path relative to the project directory
    line: int  # 1-based
    column: int  # 1-based
    rule: str
    message: str
    help: str | None

    @property
    def severity(self) -> str:
        return "error" if self.rule in ERRORS else "warning"


def find() -> str | None:
    """The squawk binary: $RUNNER_SQUAWK (empty: none), beside this Python (a venv), else on PATH."""
    if "RUNNER_SQUAWK" in os.environ:
        chosen = os.environ["RUNNER_SQUAWK"]
        return chosen if chosen and shutil.which(chosen) else None
    beside = Path(sys.executable).parent / ("squawk.exe" if os.name == "nt" else "squawk")
    return str(beside) if beside.exists() else shutil.which("squawk")


def version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    return done.stdout.strip().removeprefix("squawk ").strip() or "unknown version"


def lint(binary: str, project_dir: Path, files: list[str], *, in_transaction: bool) -> list[Violation]:
    """squawk's findings for `files` (paths relative to `project_dir`)."""
    if not files:
        return []
    command = [binary, "--reporter=json"]
    command.append("--assume-in-transaction" if in_transaction else "--no-assume-in-transaction")
    try:
        done = subprocess.run(command + files, cwd=project_dir, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"could not run squawk ({binary}): {exc}") from None
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ConfigError(f"squawk failed (exit {done.returncode}): {reason[0] if reason else 'no output'}") from None
    found, broken = [], set()
    for v in raw:
        rule = v.get("rule_name")
        if rule in HANDLED or (rule in TIMEOUTS and in_transaction) or (rule == "syntax-error" and v["file"] in broken):
            continue  # after a file's first syntax error, the others are its echoes
        if rule == "syntax-error":
            broken.add(v["file"])
        found.append(Violation(v["file"], int(v["line"]) + 1, int(v["column"]) + 1, rule, v["message"], v.get("help")))
    return found
