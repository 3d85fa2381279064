"""Splitting a script into statements, with where each one starts, using each database's own rules.

SQLite: `sqlite3.complete_statement` (SQLite's own tokenizer) decides where a statement ends,
so `;` inside strings, comments and trigger bodies (`BEGIN … END`) never splits.
PostgreSQL: libpg_query's parser through pglast, for no-transaction files only; every other
file goes to the server whole.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    offset: int  # index in the script of the statement's first character of code
    sql: str


def line_of(text: str, offset: int | None) -> int | None:
    """1-based line number of a 0-based character offset."""
    if offset is None:
        return None
    return text.count("\n", 0, max(0, min(offset, len(text)))) + 1


def code_start(text: str, start: int = 0, end: int | None = None) -> int | None:
    """Index of the first character after whitespace and comments, or None if there is no code."""
    end = len(text) if end is None else end
    i = start
    while i < end:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            nl = text.find("\n", i, end)
            i = end if nl == -1 else nl + 1
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2, end)
            i = end if close == -1 else close + 2
        else:
            return i
    return None


def split_sqlite(script: str) -> list[Statement]:
    statements: list[Statement] = []
    start = 0
    semicolon = script.find(";")
    while semicolon != -1:
        if sqlite3.complete_statement(script[start:semicolon + 1]):
            _add(statements, script, start, semicolon + 1)
            start = semicolon + 1
        semicolon = script.find(";", semicolon + 1)
    _add(statements, script, start, len(script))
    return statements


def _add(statements: list[Statement], script: str, start: int, end: int) -> None:
    first = code_start(script, start, end)
    if first is None or script[first:end].strip() == ";":
        return  # only comments and whitespace
    statements.append(Statement(first, script[first:end]))


def split_postgres(script: str) -> list[Statement]:
    """Statements of a PostgreSQL script; raises StatementError on a syntax error."""
    from pglast import parser  # imported here: only no-transaction files need it

    from .errors import StatementError

    try:
        slices = parser.split(script, with_parser=True, only_slices=True)
    except parser.ParseError as exc:
        message, offset = (exc.args + (None, None))[:2]  # ParseError(message, index)
        raise StatementError(str(message), offset if isinstance(offset, int) else None) from None
    return [Statement(s.start, script[s.start:s.stop]) for s in slices]


def split(script: str, dialect: str) -> list[Statement]:
    """The script's statements by `dialect`'s rules (for files run statement by statement)."""
    return split_sqlite(script) if dialect == "sqlite" else split_postgres(script)
