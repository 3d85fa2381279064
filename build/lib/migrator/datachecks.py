"""checks/<migration file name>: queries that return offending rows, run inside the migration's step.

Queries under `-- runner: before` run before the migration's SQL, those under `-- runner: after`
(the default) after it, before its journal row commits; any row fails the migration.
"""
from __future__ import annotations

import re

from .model import DataCheck, Migration
from .split import line_of, split

_SECTION = re.compile(r"^[ \t]*--[ \t]*runner:[ \t]*(before|after)[ \t]*$", re.M | re.I)


def data_checks(m: Migration, dialect: str) -> list[DataCheck]:
    """The migration's checks in file order, each with its line and section; none without a checks file."""
    if m.checks is None:
        return []
    text = m.checks.sql
    sections = [(found.start(), found.group(1).lower()) for found in _SECTION.finditer(text)]
    checks = []
    for statement in split(text, dialect):
        when = next((name for at, name in reversed(sections) if at < statement.offset), "after")
        checks.append(DataCheck(statement.sql.strip().rstrip(";"), m.checks.display_path,
                                line_of(text, statement.offset), when))
    return checks
