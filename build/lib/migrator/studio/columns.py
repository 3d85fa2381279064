"""What a column is to the data pages: its kind (number, date, text, …) from its declared type, how a
value typed in the query string becomes a bound parameter, and how a database value is shown.

Kinds decide alignment (numbers right), which filters make sense (comparisons on numbers, dates
and text), and what `q=` searches (text). Both dialects use the declared type: on SQLite that is
also what its type affinity is derived from.
"""
from __future__ import annotations

import datetime
import decimal
import math
import re
import uuid
from dataclasses import dataclass

from ..introspect import Column

_NUMBER = re.compile(r"^(unsigned\s+)?(tiny|small|medium|big)?\s*int|^(numeric|decimal|real|double|float|number)\b")
_TEXT = re.compile(r"char|text|clob|^citext$")
# PostgreSQL types without a default btree ordering: ORDER BY on them is an error.
_UNSORTABLE = re.compile(r"^(json|xml|point|line|lseg|box|path|polygon|circle)\b")
TRUE_WORDS, FALSE_WORDS = ("1", "t", "true", "y", "yes", "on"), ("0", "f", "false", "n", "no", "off")


class BadRequest(ValueError):
    """The visitor's query string asks for something the table does not have: a 400 with this message."""


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # as declared (SQLite) or as format_type spells it (PostgreSQL)
    kind: str  # number | date | datetime | time | boolean | text | other
    nullable: bool

    @property
    def comparable(self) -> bool:
        """Whether <, <=, > and >= filters make sense (numbers, dates, times, text)."""
        return self.kind in ("number", "date", "datetime", "time", "text")

    @property
    def sortable(self) -> bool:
        return not _UNSORTABLE.match(self.type.lower())

    @property
    def numeric(self) -> bool:
        return self.kind == "number"


def kind_of(declared: str) -> str:
    t = declared.strip().lower()
    if t.endswith("]"):
        return "other"  # a PostgreSQL array
    if t.startswith("interval"):
        return "other"
    if _NUMBER.search(t):
        return "number"
    if t.startswith("bool"):
        return "boolean"
    if t.startswith("timestamp") or t.startswith("datetime"):
        return "datetime"
    if t.startswith("date"):
        return "date"
    if t.startswith("time"):
        return "time"
    if _TEXT.search(t):
        return "text"
    return "other"


def cols(columns: tuple[Column, ...]) -> list[Col]:
    return [Col(c.name, c.type or "", kind_of(c.type or ""), c.nullable) for c in columns]


def checked(col: Col, raw: str, dialect: str, what: str):
    """The value to bind for `raw` compared with `col`; BadRequest when it cannot be one.

    SQLite gets a number as a number (so a column without numeric affinity still compares
    numerically); PostgreSQL always gets text, cast on the server to the column's type
    (see select.bind), because asyncpg wants a Python value of exactly the parameter's type.
    """
    value: object = raw.strip() if col.kind not in ("text", "other") else raw
    try:
        if col.kind == "number":
            number = decimal.Decimal(raw.strip())
            if not number.is_finite():
                raise ValueError
            if not -1e300 < float(number) < 1e300:  # and no million-digit int from 1e999999
                raise BadRequest(f"{what}: {raw[:40]!r} is out of range")
            value = int(number) if abs(number) < 2 ** 63 and number == number.to_integral_value() else float(number)
        elif col.kind == "datetime":
            datetime.datetime.fromisoformat(raw.strip())
        elif col.kind == "date":
            datetime.date.fromisoformat(raw.strip())
        elif col.kind == "time":
            datetime.time.fromisoformat(raw.strip())
        elif col.kind == "boolean":
            word = raw.strip().lower()
            if word not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError
            value = word in TRUE_WORDS if dialect == "sqlite" else ("true" if word in TRUE_WORDS else "false")
    except BadRequest:
        raise
    except (ValueError, decimal.InvalidOperation, ArithmeticError):
        article = "an" if col.kind[0] in "aeiou" else "a"
        raise BadRequest(f"{what}: {raw!r} is not {article} {col.kind} (column {col.name!r} is {col.type})") from None
    if dialect == "sqlite" or isinstance(value, str):
        return value
    return raw.strip()  # a number: PostgreSQL parses the text as the column's own type


def jsonable(value, *, whole: bool = False):
    """A database value as JSON can carry it (and the page shows it): exact numbers and times as text.

    whole: bytes in full (exports); a page shows the first 64 bytes.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if whole or len(data) <= 64:
            return "\\x" + data.hex()
        return f"\\x{data[:64].hex()}… ({len(data)} bytes)"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, whole=whole) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v, whole=whole) for k, v in value.items()}
    return str(value)
