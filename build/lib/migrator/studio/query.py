"""What a table page's query string asks for, checked against the table's columns; and the links
that change one thing about it (sort by another column, drop a filter, the next page).

    ?status=funded&loan_amount__gte=100000&q=north&sort=created_at&desc=1&page=2&format=csv

`<column>=<value>` is an equality filter (an empty value is no filter: the filter row sends every
input); `<column>__<op>=<value>` the other operators; filters combine with AND. On a number or
date column the filter row's `>100000`, `<=2025-01-31` or `!=0` mean the comparison. A column
whose name is a reserved word (`sort`, `page`, …) is filtered as `<column>__eq=`. Nothing here
touches the database: values are checked and become bound parameters in select.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from .columns import FALSE_WORDS, TRUE_WORDS, BadRequest, Col

RESERVED = ("sort", "desc", "q", "page", "after", "before", "format", "token")
OPERATORS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "isnull": "is null"}
COMPARISONS = ("gt", "gte", "lt", "lte")
# The filter row's shorthand on number and date columns, longest first.
PREFIXES = ((">=", "gte"), ("<=", "lte"), ("!=", "ne"), ("<>", "ne"), (">", "gt"), ("<", "lt"), ("=", "eq"))
SHORTHAND = {op: prefix for prefix, op in reversed(PREFIXES)}
FORMATS = ("csv", "json")
MAX_PAGE_DIGITS = 12


@dataclass(frozen=True)
class Filter:
    column: str
    op: str  # one of OPERATORS
    value: str  # as typed

    @property
    def param(self) -> tuple[str, str]:
        """The query-string pair that asks for this filter."""
        return (f"{self.column}__{self.op}" if self.op != "eq" or self.column in RESERVED else self.column,
                self.value)

    def describe(self) -> str:
        if self.op == "isnull":
            return f"{self.column} is {'' if self.value.lower() in TRUE_WORDS else 'not '}null"
        return f"{self.column} {OPERATORS[self.op]} {self.value}"

    def shorthand(self) -> str:
        """How the filter row shows it: the value, after its operator unless that is `=`."""
        return ("" if self.op == "eq" else SHORTHAND.get(self.op, "")) + self.value


@dataclass(frozen=True)
class TableQuery:
    filters: tuple[Filter, ...] = ()
    search: str = ""
    sort: str | None = None
    desc: bool = False
    page: int | str = 1  # a number from 1, or "last"
    after: tuple | None = None  # keyset cursor: the ordering key of the row before this page
    before: tuple | None = None  # … or of the row after it (reading backwards)
    format: str | None = None  # None: the page itself; "csv" | "json": every row of the view

    @property
    def narrowed(self) -> bool:
        return bool(self.filters or self.search)

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """The query string of this view with `changes` (a dataclass field each), cursor and page last."""
        q = replace(self, **changes)
        out = [f.param for f in q.filters]
        if q.search:
            out.append(("q", q.search))
        if q.sort:
            out.append(("sort", q.sort))
            if q.desc:
                out.append(("desc", "1"))
        if q.page != 1:
            out.append(("page", str(q.page)))
        if q.after is not None:
            out.append(("after", encode_cursor(q.after)))
        if q.before is not None:
            out.append(("before", encode_cursor(q.before)))
        if q.format:
            out.append(("format", q.format))
        return out

    def link(self, path: str, **changes) -> str:
        """`path` with this view's query string, changed; the cursor and format are dropped unless given."""
        changes = {"after": None, "before": None, "format": None, **changes}
        query = urlencode(self.pairs(**changes))
        return f"{path}?{query}" if query else path

    def sort_link(self, path: str, column: str) -> str:
        """Sort by `column`; the same column again flips the direction. Back to the first page."""
        desc = not self.desc if self.sort == column else False
        return self.link(path, sort=column, desc=desc, page=1)

    def without(self, path: str, index: int) -> str:
        return self.link(path, filters=self.filters[:index] + self.filters[index + 1:], page=1)


def parse(items: list[tuple[str, str]], columns: list[Col]) -> TableQuery:
    """The TableQuery that query-string pairs ask for; BadRequest (a 400) naming what is wrong."""
    by_name = {c.name: c for c in columns}
    single: dict[str, str] = {}
    filters: list[Filter] = []
    for key, value in items:
        if key in RESERVED:
            if key in single and key != "token":
                raise BadRequest(f"{key} is given twice")
            single[key] = value
            continue
        column, op = _column_and_operator(key, by_name)
        col = by_name[column]
        if op == "eq" and key == column:
            if value == "":
                continue  # an empty input of the filter row
            if col.kind in ("number", "date", "datetime", "time"):
                op, value = _shorthand(value)
        if op in COMPARISONS and not col.comparable:
            raise BadRequest(f"{key}: {op} compares numbers, dates and text; column {column!r} is {col.type or 'untyped'}")
        if op == "isnull" and value.strip().lower() not in TRUE_WORDS + FALSE_WORDS:
            raise BadRequest(f"{key}: use 1 (is null) or 0 (is not null), not {value!r}")
        filters.append(Filter(column, op, value))

    sort = single.get("sort") or None
    if sort is not None:
        if sort not in by_name:
            raise BadRequest(f"sort: unknown column {sort!r}{_choices(columns)}")
        if not by_name[sort].sortable:
            raise BadRequest(f"sort: column {sort!r} is {by_name[sort].type}, which has no order")
    after, before = _cursor(single, "after"), _cursor(single, "before")
    if after is not None and before is not None:
        raise BadRequest("give after or before, not both")
    fmt = single.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise BadRequest(f"format must be csv or json, not {fmt!r}")
    return TableQuery(filters=tuple(filters), search=single.get("q", "").strip(), sort=sort,
                      desc=_flag(single.get("desc", "")), page=_page(single.get("page", "")),
                      after=after, before=before, format=fmt)


def _column_and_operator(key: str, by_name: dict[str, Col]) -> tuple[str, str]:
    if key in by_name:
        return key, "eq"
    column, sep, op = key.rpartition("__")
    if not sep or column not in by_name:
        raise BadRequest(f"unknown column {key!r}{_choices(by_name.values())}")
    if op not in OPERATORS:
        raise BadRequest(f"unknown operator {'__' + op!r} in {key!r} (use "
                         + ", ".join("__" + o for o in OPERATORS) + ")")
    return column, op


def _shorthand(value: str) -> tuple[str, str]:
    text = value.strip()
    for prefix, op in PREFIXES:
        if text.startswith(prefix):
            return op, text[len(prefix):].strip()
    return "eq", value


def _choices(columns) -> str:
    names = [c.name for c in columns]
    return f" (columns: {', '.join(names[:20])}{', …' if len(names) > 20 else ''})"


def _flag(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or word == "":
        return False
    raise BadRequest(f"desc must be 1 or 0, not {value!r}")


def _page(value: str) -> int | str:
    text = value.strip().lower()
    if text == "":
        return 1
    if text == "last":
        return "last"
    if not text.isdigit() or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        raise BadRequest(f"page must be a whole number from 1 on, or last; not {value[:40]!r}")
    return int(text)


def encode_cursor(values: tuple) -> str:
    return json.dumps([{"x": bytes(v).hex()} if isinstance(v, (bytes, bytearray, memoryview)) else v
                       for v in values], separators=(",", ":"), ensure_ascii=False)


def _cursor(single: dict[str, str], name: str) -> tuple | None:
    text = single.get(name) or None
    if text is None:
        return None
    try:
        values = json.loads(text)
        if not isinstance(values, list) or not values:
            raise ValueError
        return tuple(_cursor_value(v) for v in values)
    except (ValueError, TypeError):
        raise BadRequest(f"{name} must be the cursor of a page link (a JSON array), not {text[:60]!r}") from None


def _cursor_value(v):
    if v is None or isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, dict) and set(v) == {"x"} and isinstance(v["x"], str):
        return bytes.fromhex(v["x"])
    raise ValueError(v)
