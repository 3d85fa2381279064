"""The text a PostgreSQL unit is sent as, and what comes back: the message with where each op
starts in it, the runner's values written as literals, and errors turned into StatementError."""
from __future__ import annotations

import functools

from ..errors import StatementError
from . import ELAPSED_MS, PARAMETER, Script, Unit

LOCK_NOT_AVAILABLE = "55P03"
# connection exceptions, and the shutdowns of class 57 (57014, a cancelled query, is not one)
CONNECTION_STATES = ("08", "57P")


class Message:
    """The statements of one simple-query message, with where each op's text starts in it."""

    def __init__(self, head: list[str]):
        self.parts: list[tuple[int | None, str]] = [(None, text) for text in head]

    def add(self, op: int | None, text: str) -> None:
        self.parts.append((op, text))

    def ops(self) -> list[int]:
        return [op for op, _ in self.parts if op is not None]

    def text(self) -> str:
        return ";\n".join(text for _, text in self.parts)

    def locate(self, position: int, unit: Unit) -> tuple[int | None, int | None]:
        """(op index, offset in its Script's SQL) of a 0-based position in the message's text."""
        start = 0
        for op, text in self.parts:
            end = start + len(text)
            if position < end + 2:  # within the text or its ";\n"
                if op is not None and isinstance(unit.ops[op], Script):
                    head = len(f"SAVEPOINT runner_{op};\n")
                    return op, max(0, min(position - start - head, len(unit.ops[op].sql)))
                return op, None
            start = end + 2
        return None, None


def inline(sql: str, params) -> str:
    """One of the runner's statements with its :named parameters written as SQL literals.

    Only the runner's own values go here (versions, names, checksums, the stored rollback text,
    paths). Strings become E'...' literals with backslashes and quotes doubled: inside E'' those
    two are the only special characters, whatever standard_conforming_strings says.
    """
    return "".join(piece if name is None else _literal(params[name]) for piece, name in _pieces(sql))


@functools.lru_cache(maxsize=256)
def _pieces(sql: str) -> tuple[tuple[str, str | None], ...]:
    """The statement cut at its :named parameters, once per statement rather than once per step:
    (text, None) pieces to keep and ("", name) pieces to fill."""
    pieces, last = [], 0
    for m in PARAMETER.finditer(sql):
        if m.group(1):  # not a string, a quoted identifier or a :: cast
            pieces += [(sql[last:m.start()], None), ("", m.group(1))]
            last = m.end()
    pieces.append((sql[last:], None))
    return tuple(pieces)


def _literal(value) -> str:
    if value is ELAPSED_MS:
        return "(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def statement_error(message: str, sqlstate: str | None, position, detail, hint) -> StatementError:
    offset = int(position) - 1 if position not in (None, "") else None  # the server counts from 1
    return StatementError(message, offset, detail or None, hint or None, lock_timeout=sqlstate == LOCK_NOT_AVAILABLE,
                          sqlstate=sqlstate)


def is_connection_state(sqlstate: str | None) -> bool:
    return bool(sqlstate) and sqlstate.startswith(CONNECTION_STATES)
