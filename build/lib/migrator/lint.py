"""`lint`: dangerous SQL found in the files before it runs anywhere. Reads files only.

PostgreSQL files go through squawk (see squawk.py). Our own rules cover what squawk does not,
on both dialects; each reads the statements' shapes from `sqlfacts`:

  drop-without-backup        DROP TABLE / DROP COLUMN in an up file without a `-- backup: …` note
  sqlite-unsupported-alter   ALTER TABLE … DROP COLUMN / RENAME COLUMN on a SQLite too old for it
  recreate-without-fk-check  a SQLite table recreation without `PRAGMA foreign_key_check`
  rollback-incomplete        an object the up file creates (or renames) that its rollback leaves
  concurrently-in-transaction  PostgreSQL `… CONCURRENTLY` in a file the runner wraps in a transaction

A `-- runner: allow <rule>[, <rule>…]` comment line silences rules for that one file (for
rollback-incomplete: in the up file or its rollback).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import squawk
from .errors import ConfigError
from .files import discover
from .model import Migration, Script
from .split import line_of
from .sqlfacts import Fact, facts, statements
from .sqltokens import tokenize

RULES = {
    "drop-without-backup": "error",
    "sqlite-unsupported-alter": "error",
    "recreate-without-fk-check": "error in a no-transaction file, else a warning",
    "rollback-incomplete": "error",
    "concurrently-in-transaction": "error",
}
_ALLOW = re.compile(r"^\s*--\s*runner:\s*allow\s+(.+)$", re.I | re.M)
_BACKUP = re.compile(r"^\s*--\s*backup:\s*\S", re.I | re.M)
_SQLITE_NEEDS = {"drop column": (3, 35, 0), "rename column": (3, 25, 0)}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    rule: str
    severity: str  # "error" | "warning"
    message: str
    advice: str
    source: str = "runner"  # "runner" | "squawk"
    dialects: tuple[str, ...] = ()
    column: int | None = None

    def text(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        rule = self.rule + (" (squawk)" if self.source == "squawk" else "")
        return f"{where}: {self.severity}: {rule}: {self.message}\n    advice: {self.advice}"

    def as_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "rule": self.rule,
                "severity": self.severity, "message": self.message, "advice": self.advice, "source": self.source,
                "dialects": list(self.dialects)}


@dataclass
class LintReport:
    findings: list[Finding]
    files: int
    squawk: str | None  # squawk's version, None when it did not run
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.findings))

    def summary(self) -> str:
        return (f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.files} file(s)"
                + (f"; squawk {self.squawk}" if self.squawk else ""))

    def as_json(self) -> dict:
        return {"files": self.files, "errors": len(self.errors), "warnings": len(self.warnings),
                "squawk": self.squawk, "notes": self.notes, "findings": [f.as_json() for f in self.findings]}


# -- the run -----------------------------------------------------------------------------------------

@dataclass
class _File:
    script: Script
    role: str  # "up" | "rollback"
    dialects: set[str]
    pairs: dict[str, Migration]  # dialect -> the migration it belongs to


def lint(project_dir: str | Path, *, dialects: tuple[str, ...] = ("sqlite", "postgres"),
         min_sqlite: str | None = None, use_squawk: bool = True) -> LintReport:
    """Lint every up and rollback file for each dialect it applies to. Reads files only."""
    project_dir = Path(project_dir)
    oldest_sqlite = _version(min_sqlite or sqlite3.sqlite_version)
    files = _files(project_dir, dialects)
    found: dict[tuple, Finding] = {}

    def add(f: Finding) -> None:
        if f.rule in _allowed(files[f.file].script.sql):
            return
        key = (f.file, f.line, f.rule, f.message)
        if key in found:  # the same finding for both dialects of a plain file: one finding
            f = replace(found[key], dialects=tuple(sorted(set(found[key].dialects) | set(f.dialects))))
        found[key] = f

    for entry in files.values():
        for dialect in sorted(entry.dialects):
            for f in _own_rules(entry, dialect, oldest_sqlite):
                if not (f.rule == "rollback-incomplete" and f.rule in _allowed(_rollback_sql(entry, dialect))):
                    add(f)

    pg_files = [e for e in files.values() if "postgres" in e.dialects]
    version, notes = None, []
    if pg_files and use_squawk:
        binary = squawk.find()
        if binary is None:
            notes.append("squawk is not installed (pip install squawk-cli): PostgreSQL's lock, rewrite and rename "
                         "rules were not checked")
            add(Finding(pg_files[0].script.display_path, None, "squawk-missing", "warning",
                        "squawk is not installed, so PostgreSQL's own rules were not checked",
                        "pip install squawk-cli (or set RUNNER_SQUAWK to its path)", dialects=("postgres",)))
        else:
            version = squawk.version(binary)
            for f in _squawk_findings(binary, project_dir, pg_files):
                add(f)

    # each up file, then its rollback, then the next version
    ordered = sorted(found.values(), key=lambda f: (f.file.rsplit("/", 1)[-1], not f.file.startswith("sql/"),
                                                    f.line or 0, f.rule))
    return LintReport(ordered, len(files), version, notes)


def _files(project_dir: Path, dialects: tuple[str, ...]) -> dict[str, _File]:
    """Every up and rollback file by its path, with the dialects it applies to."""
    files: dict[str, _File] = {}
    for dialect in dialects:
        for m in discover(project_dir, dialect).migrations:
            for role, script in (("up", m.up), ("rollback", m.rollback)):
                if script is not None:
                    entry = files.setdefault(script.display_path, _File(script, role, set(), {}))
                    entry.dialects.add(dialect)
                    entry.pairs[dialect] = m
    return files


def _squawk_findings(binary: str, project_dir: Path, pg_files: list[_File]) -> list[Finding]:
    roles = {e.script.display_path: e.role for e in pg_files}
    out = []
    for in_transaction in (True, False):
        chosen = [e.script.display_path for e in pg_files if e.script.no_transaction != in_transaction]
        for v in squawk.lint(binary, project_dir, chosen, in_transaction=in_transaction):
            severity = "warning" if roles.get(v.file) == "rollback" and v.rule in squawk.UNDOES else v.severity
            out.append(Finding(v.file, v.line, v.rule, severity, v.message,
                               v.help or f"see https://squawkhq.com/docs/{v.rule}", source="squawk",
                               dialects=("postgres",), column=v.column))
    return out


def _version(text: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+){0,2}", text.strip()):
        raise ConfigError(f"--min-sqlite must be a version like 3.35.0, not {text!r}")
    return tuple(int(p) for p in text.strip().split(".")) + (0,) * (2 - text.count("."))


def _allowed(sql: str | None) -> set[str]:
    return {rule for m in _ALLOW.finditer(sql or "") for rule in re.split(r"[\s,]+", m.group(1).strip()) if rule}


def _rollback_sql(entry: _File, dialect: str) -> str | None:
    m = entry.pairs.get(dialect)
    return m.rollback.sql if m and m.rollback and entry.role == "up" else None


def _own_rules(entry: _File, dialect: str, oldest_sqlite: tuple[int, ...]) -> list[Finding]:
    script = entry.script
    steps = facts(script.sql, dialect)
    out: list[Finding] = []

    def finding(line: int | None, rule: str, message: str, advice: str, severity: str = "error") -> Finding:
        return Finding(script.display_path, line, rule, severity, message, advice, dialects=(dialect,))

    if entry.role == "up":
        out += _drops_without_backup(steps, script.sql, finding)
        m = entry.pairs[dialect]
        if m.rollback is not None:
            out += _rollback_incomplete(steps, facts(m.rollback.sql, dialect), m.rollback.display_path, finding)
    if dialect == "sqlite":
        out += _sqlite_rules(steps, script.no_transaction, oldest_sqlite, finding)
    elif not script.no_transaction:
        out += _concurrently_in_transaction(script.sql, finding, shared=not script.display_path.endswith(".postgres.sql"))
    return out


# -- the rules -------------------------------------------------------------------------------------

def _drops_without_backup(steps: list[Fact], sql: str, finding) -> list[Finding]:
    if _BACKUP.search(sql):
        return []
    out = []
    created: set[str] = set()
    added: set[tuple[str | None, str | None]] = set()
    for i, f in enumerate(steps):
        if f.action == "create" and f.kind == "table":
            created.add(f.name)
        elif f.action == "rename" and f.kind == "table":
            created.add(f.new_name)
        elif f.action == "add column":
            added.add((f.table, f.name))
        elif f.action == "drop" and f.kind == "table" and f.name not in created:
            if any(later.action == "rename" and later.kind == "table" and later.new_name == f.name
                   for later in steps[i + 1:]):
                continue  # a table recreation: a copy replaces it
            out.append(finding(f.line, "drop-without-backup", f"DROP TABLE {f.name} deletes the table and its rows",
                               _BACKUP_ADVICE))
        elif f.action == "drop column" and f.table not in created and (f.table, f.name) not in added:
            out.append(finding(f.line, "drop-without-backup",
                               f"DROP COLUMN {f.name} deletes the column's data from {f.table}", _BACKUP_ADVICE))
    return out


_BACKUP_ADVICE = ("copy the data somewhere first (a backup table, an export) and say where in a `-- backup: <where>` "
                  "comment; a rollback cannot bring dropped data back")


def _concurrently_in_transaction(sql: str, finding, *, shared: bool) -> list[Finding]:
    # squawk assumes a tool runs a lone CREATE INDEX CONCURRENTLY outside its transaction; ours does not
    if shared:  # a plain file runs on SQLite too, which knows neither CONCURRENTLY nor a reason for it
        advice = ("move it to a PostgreSQL variant (the same name ending in .postgres.sql) whose first line is "
                  "`-- runner: no-transaction`, and give SQLite a .sqlite.sql variant without CONCURRENTLY")
    else:
        advice = ("put `-- runner: no-transaction` on the file's first line (and nothing else in the file that "
                  "needs a transaction)")
    out = []
    for statement in statements(sql, "postgres"):
        tokens = tokenize(statement.sql, statement.offset)
        at = next((t for t in tokens if t.upper == "CONCURRENTLY"), None)
        if at is not None:
            out.append(finding(line_of(sql, at.offset), "concurrently-in-transaction",
                               f"{' '.join(t.text for t in tokens[:2])} … CONCURRENTLY cannot run inside a "
                               "transaction, and the runner runs this file in one", advice))
    return out


def _sqlite_rules(steps: list[Fact], no_transaction: bool, oldest: tuple[int, ...], finding) -> list[Finding]:
    out = []
    for f in steps:
        needs = _SQLITE_NEEDS.get(f.action)
        if needs and oldest < needs:
            want, have = ".".join(map(str, needs)), ".".join(map(str, oldest))
            out.append(finding(f.line, "sqlite-unsupported-alter",
                               f"ALTER TABLE {f.table} {f.action.upper()} needs SQLite {want} or newer; "
                               f"the oldest SQLite to support is {have}",
                               "recreate the table instead (create the new shape, copy the rows, drop the old "
                               "table, rename the new one), or raise --min-sqlite"))
    checks_fks = any(f.action == "pragma" and f.name == "foreign_key_check" for f in steps)
    if not checks_fks:
        for i, f in enumerate(steps):
            if f.action == "drop" and f.kind == "table" and any(
                    later.action == "rename" and later.kind == "table" and later.new_name == f.name
                    for later in steps[i + 1:]):
                advice = ("add `PRAGMA foreign_key_check;` after the rename: the copy must still satisfy every "
                          "foreign key pointing at the table or from it")
                if no_transaction:
                    out.append(finding(f.line, "recreate-without-fk-check",
                                       f"table {f.name} is recreated outside a transaction and nothing checks its "
                                       "foreign keys afterwards", advice))
                else:
                    out.append(finding(f.line, "recreate-without-fk-check",
                                       f"table {f.name} is recreated without PRAGMA foreign_key_check (the runner "
                                       "checks before commit, other tools may not)", advice, "warning"))
    return out


def _rollback_incomplete(up: list[Fact], down: list[Fact], rollback_path: str, finding) -> list[Finding]:
    """Everything the up file leaves created or renamed must be undone by its rollback."""
    left = _net_effects(up)
    dropped = {(f.kind, f.name) for f in down if f.action == "drop"}
    # dropping a table (or a view) takes its indexes, triggers, columns and constraints along
    dropped_tables = {f.name for f in down if f.action == "drop" and f.kind in ("table", "view", "materialized view")}
    dropped_columns = {(f.table, f.name) for f in down if f.action == "drop column"}
    dropped_constraints = {(f.table, f.name) for f in down if f.action == "drop constraint"}
    cascaded_functions = {f.name for f in down if f.action == "drop" and f.kind == "function" and f.cascade}
    cascaded_tables = {f.name for f in down if f.action == "drop" and f.kind == "table" and f.cascade}
    cascaded_schemas = {f.name for f in down if f.action == "drop" and f.kind == "schema" and f.cascade}
    restored = {(f.kind, f.name) for f in down if f.action == "create"}
    renamed_back = {(f.kind, f.table, f.new_name) for f in down if f.action in ("rename", "rename column")}

    out = []
    for f in left:
        if f.schema and f.schema in cascaded_schemas:
            continue
        what, fix = _describe(f)
        if f.action == "rename" or f.action == "rename column":
            table = f.table if f.action == "rename column" else None
            if (f.kind, table, f.name) in renamed_back or (f.kind == "table" and ("table", f.name) in restored):
                continue
            message = f"{what} is renamed to {f.new_name} here, but {rollback_path} never renames it back"
        else:
            kinds = {f.kind} | ({"type", "domain"} if f.kind in ("type", "domain") else set())
            if any((k, f.name) in dropped for k in kinds):
                continue
            if f.table and f.table in dropped_tables:
                continue
            if f.kind == "column" and (f.table, f.name) in dropped_columns:
                continue
            if f.kind == "constraint" and (f.table, f.name) in dropped_constraints:
                continue
            if f.kind == "index" and any((f.table, c) in dropped_columns for c in f.refs):
                continue  # dropping an indexed column drops the index (PostgreSQL)
            if f.kind == "trigger" and f.refs & cascaded_functions:
                continue
            if f.kind in ("view", "materialized view") and f.refs & cascaded_tables:
                continue
            if f.or_replace and (f.kind, f.name) in restored:
                continue  # CREATE OR REPLACE undone by restoring the previous definition
            if f.kind == "index" and f.name is None:
                message = (f"an unnamed index on {f.table} is created here, but {rollback_path} cannot drop it "
                           "by name (nor does it drop the table)")
                fix = f"name the index in the up file, then drop it by that name in {rollback_path}"
            else:
                message = f"{what} is created here, but {rollback_path} never drops it" + \
                    (f" (nor its table {f.table})" if f.table else "")
        out.append(finding(f.line, "rollback-incomplete", message,
                           fix.replace("ROLLBACK", rollback_path) + "; `check` proves the round trip"))
    return out


def _net_effects(up: list[Fact]) -> list[Fact]:
    """What the up file leaves behind that did not exist before: created objects (minus those it
    dropped again or that replace a table it recreated), added columns and constraints, renames."""
    created: dict[tuple[str, str | None, str | None], Fact] = {}
    replaced: set[tuple[str, str | None]] = set()  # objects that existed before and were dropped or renamed away
    renames: list[Fact] = []
    for f in up:
        key = (f.kind, f.table, f.name)
        if f.action == "create":
            if (f.kind, f.name) in replaced:
                continue  # dropped and created again under its old name: recreated, not new
            created[key] = f
        elif f.action in ("add column", "add constraint"):
            if ("table", None, f.table) not in created:
                created[key] = f
        elif f.action == "drop":
            mine = [k for k in created if k[0] == f.kind and k[2] == f.name]
            for k in mine:
                del created[k]
            if not mine:
                replaced.add((f.kind, f.name))
            if f.kind == "table":
                for k in [k for k in created if k[1] == f.name]:
                    del created[k]  # its indexes, triggers, columns went with it
        elif f.action == "drop column":
            created.pop(("column", f.table, f.name), None)
        elif f.action == "drop constraint":
            created.pop(("constraint", f.table, f.name), None)
        elif f.action == "rename" and f.kind == "table":
            old = ("table", None, f.name)
            if old in created:
                moved = created.pop(old)
                if ("table", f.new_name) not in replaced:
                    created[("table", None, f.new_name)] = replace(moved, name=f.new_name)
                for k in [k for k in created if k[1] == f.name]:
                    created[(k[0], f.new_name, k[2])] = replace(created.pop(k), table=f.new_name)
            elif ("table", f.new_name) in replaced:
                continue
            else:
                replaced.add(("table", f.name))
                renames.append(f)
        elif f.action == "rename column" and ("table", None, f.table) not in created:
            renames.append(f)
    return sorted(list(created.values()) + renames, key=lambda f: f.line)


def _describe(f: Fact) -> tuple[str, str]:
    """How to name the object in a message, and the statement that undoes it."""
    if f.kind == "column":
        return f"column {f.table}.{f.name}", f"add `ALTER TABLE {f.table} DROP COLUMN {f.name};` to ROLLBACK " \
                                             "(or recreate the table without it)"
    if f.kind == "constraint":
        return f"constraint {f.name} on {f.table}", f"add `ALTER TABLE {f.table} DROP CONSTRAINT {f.name};` to " \
                                                    "ROLLBACK"
    if f.action in ("rename", "rename column"):
        back = (f"ALTER TABLE {f.table} RENAME COLUMN {f.new_name} TO {f.name};" if f.action == "rename column"
                else f"ALTER {f.kind.upper()} {f.new_name} RENAME TO {f.name};")
        return (f"column {f.table}.{f.name}" if f.action == "rename column" else f"{f.kind} {f.name}",
                f"add `{back}` to ROLLBACK")
    on = f" ON {f.table}" if f.kind in ("trigger", "policy") else ""
    return f"{f.kind} {f.name}", f"add `DROP {f.kind.upper()} {f.name}{on};` to ROLLBACK"
