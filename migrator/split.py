"""Splitting a script into statements, with where each one starts, using each database's own rules.

SQLite: `sqlite3.complete_statement` (SQLite's own `sqlite3_complete`) decides where a statement
ends, so `;` inside strings, comments and trigger bodies (`BEGIN … END`) never splits. When the
first `;` does not end a statement, it is asked again only at a `;` that its lexer would see
outside a string, quoted name or comment, so each character is looked at a bounded number of
times (asking at every `;` of a growing prefix was quadratic: 800 KB of `a;` in one string
took 48 s).
PostgreSQL: libpg_query's parser through pglast, for no-transaction files and for finding the
failing statement of a file that failed without an error position; every other file goes to the
server whole. A large script is parsed a piece at a time (`postgres_pieces`).
"""

import re
import sqlite3
from typing import Iterator, NamedTuple

from .errors import StatementError


class Statement(NamedTuple):
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


# What sqlite3_complete's lexer (SQLite's complete.c) skips over whole: '…', "…", `…` and […]
# quotes, -- and /* */ comments. One match runs to just before the next `;` outside them, or
# stops at a quote that is never closed (after which sqlite3_complete finds no end either).
_UP_TO_SEMICOLON = re.compile(
    r"""(?:[^;'"`\[/-]+|'[^']*'|"[^"]*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*(?:.*?\*/|.*)|[-/])*""", re.S)


def split_sqlite(script: str) -> list[Statement]:
    """Statements of a SQLite script; raises StatementError on a NUL character or text that is not UTF-8."""
    _refuse_unreadable(script)
    statements: list[Statement] = []
    start = 0
    while (end := _statement_end(script, start)) is not None:
        _add(statements, script, start, end)
        start = end
    _add(statements, script, start, len(script))
    return statements


def _statement_end(script: str, start: int) -> int | None:
    """Just past the `;` that ends the statement beginning at `start`, as sqlite3_complete says; None: no end."""
    semicolon = script.find(";", start)
    if semicolon == -1:
        return None
    if sqlite3.complete_statement(script[start:semicolon + 1]):  # most often the first `;` ends it
        return semicolon + 1
    # That `;` is in a string, a comment or a trigger body. Ask again only at a `;` outside quotes
    # and comments, and in a trigger body only at `; END ;`: asking at every `;` of a growing
    # statement is quadratic (800 KB of `a;` in one string took 48 s).
    previous, in_trigger = start, False
    while True:
        semicolon = _UP_TO_SEMICOLON.match(script, previous).end()
        if semicolon == len(script) or script[semicolon] != ";":
            return None  # the end, or a quote that is never closed
        if (not in_trigger or _only_end(script, previous, semicolon)) \
                and sqlite3.complete_statement(script[start:semicolon + 1]):
            return semicolon + 1
        in_trigger = True  # sqlite3_complete said no at a `;` outside quotes: CREATE TRIGGER … BEGIN
        previous = semicolon + 1


def _only_end(script: str, start: int, end: int) -> bool:
    """Whether script[start:end] is the keyword END between whitespace and comments."""
    first = code_start(script, start, end)
    return (first is not None and script[first:first + 3].upper() == "END"
            and code_start(script, first + 3, end) is None)


def _add(statements: list[Statement], script: str, start: int, end: int) -> None:
    first = code_start(script, start, end)
    if first is None or script[first:end].strip() == ";":
        return  # only comments and whitespace
    statements.append(Statement(first, script[first:end]))


def split_postgres(script: str) -> list[Statement]:
    """Statements of a PostgreSQL script; raises StatementError on a syntax error, a NUL or text that is not UTF-8."""
    return [statement for piece in postgres_pieces(script) for statement in piece]


PIECE_CHARS = 1 << 20


def postgres_pieces(script: str, piece_chars: int | None = None) -> Iterator[list[Statement]]:
    """The statements of `split_postgres`, in order, a piece of the script at a time, each piece
    parsed only when asked for (the runner re-runs a failed file piece by piece: the next piece is
    parsed while the server runs this one, and nothing past the failure is parsed at all).

    The parser keeps the tree of everything it parsed until it returns, about ten times the
    text's size (86 MiB for a 7.4 MB file), so a script longer than `piece_chars` is parsed in
    pieces, each cut after a `;` that ends a line outside a `--` comment. A cut anywhere but
    between two statements (in a string, a quoted name, a block comment, a dollar quote, a rule's
    parenthesised actions, a `BEGIN ATOMIC` body) leaves a piece that ends in an unfinished
    construct, which does not parse: then the rest of the script is parsed at once, from the last
    cut that was right. Raises StatementError as split_postgres does.
    """
    from pglast import parser  # imported here: only no-transaction and failed files need it

    _refuse_unreadable(script)
    piece_chars = piece_chars or PIECE_CHARS
    start = 0
    while True:
        cut = _piece_end(script, start + piece_chars) if len(script) - start > piece_chars else len(script)
        try:
            slices = _parse(parser, script[start:cut], start)
        except StatementError:
            if cut == len(script):
                raise
            slices, cut = _parse(parser, script[start:], start), len(script)
        yield [Statement(a, script[a:b]) for a, b in slices]
        if cut == len(script):
            return
        start = cut


def _parse(parser, text: str, at: int) -> list[tuple[int, int]]:
    try:
        return [(at + s.start, at + s.stop) for s in parser.split(text, with_parser=True, only_slices=True)]
    except parser.ParseError as exc:
        message, offset = (exc.args + (None, None))[:2]  # ParseError(message, index)
        raise StatementError(str(message), at + offset if isinstance(offset, int) else None) from None


def _piece_end(script: str, at: int) -> int:
    """Index just after the first `;` at or past `at` that ends a line with no `--` before it."""
    while True:
        end = script.find(";\n", at)
        if end == -1:
            return len(script)
        if "--" not in script[script.rfind("\n", 0, end) + 1:end]:
            return end + 1
        at = end + 2


def split(script: str, dialect: str) -> list[Statement]:
    """The script's statements by `dialect`'s rules (for files run statement by statement)."""
    return split_sqlite(script) if dialect == "sqlite" else split_postgres(script)


def _refuse_unreadable(script: str) -> None:
    """Both databases read SQL as UTF-8 C strings: everything after a NUL would silently vanish,
    and text that is not UTF-8 (a lone surrogate) cannot be sent at all."""
    nul = script.find("\x00")
    if nul != -1:
        raise StatementError("the script contains a NUL character (a binary file?)", nul)
    if not script.isascii():
        try:
            script.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise StatementError("the script is not UTF-8 text", exc.start) from None
