"""The data pages' reads: one page of a table or view, one row with the rows that reference it, an
export's rows chunk by chunk, and every relation with its row count. All through `m.db.fetch`.

Counting: SQLite counts (it keeps no estimate); PostgreSQL asks the planner first and, when it
expects at least ESTIMATE_ABOVE rows, shows that estimate (the catalog's statistics, reltuples
over relpages, scaled to the table's size now) marked as one instead of reading every row.
"""
from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import AsyncIterator
from urllib.parse import quote as url_quote

from ..engine import Migrator
from ..errors import DatabaseError, StatementError
from .catalog import RelationFacts
from . import layout
from .columns import BadRequest, Col, kind_of
from .query import Filter, TableQuery
from .select import KEY_ALIAS, Select, keys_for

PAGE_SIZE = 50
ESTIMATE_ABOVE = 100_000
EXPORT_CHUNK = 5000
RELATED_ROWS = 10  # a row page shows this many of the rows that reference it, per foreign key
RELATED_CAP = 1000  # … and counts them up to this many ("1000+")


class NotFound(LookupError):
    """The visitor asked for a table, view or row that is not there."""


@dataclass(frozen=True)
class Link:
    """A foreign key as the pages follow it: these columns here, those columns of `table` there."""

    columns: tuple[str, ...]
    table: str
    target: tuple[str, ...]
    to_row: bool  # the target is the referenced table's primary key: link to its row page


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # "table" | "view"
    source: str  # the quoted (schema-qualified) name to read from
    cols: list[Col]
    primary_key: tuple[str, ...]
    links: tuple[Link, ...]
    base: str = "/tables"  # where its pages are: /tables, or /api/tables for the JSON twin

    @property
    def path(self) -> str:
        return f"{self.base}/" + url_quote(self.name, safe="")


async def fetch(m: Migrator, sql: str, params: dict | None = None) -> list[dict]:
    """m.db.fetch, with SQLite's own errors made the studio's 503 (PostgreSQL's already are)."""
    try:
        return await m.db.fetch(sql, params or {})
    except sqlite3.Error as exc:
        raise DatabaseError(str(exc)) from None


def relation(catalog: dict[str, RelationFacts], name: str, base: str = "/tables") -> Relation:
    found = catalog.get(name)
    if found is None:
        raise NotFound(f"no table or view named {name!r}")
    columns = [Col(c.name, c.type, kind_of(c.type), c.nullable) for c in found.columns]
    links = []
    for fk in found.foreign_keys:
        target_table = catalog.get(fk.table)
        if target_table is None or target_table.kind != "table":
            continue
        target = fk.target or target_table.primary_key
        if len(target) == len(fk.columns):
            links.append(Link(fk.columns, target_table.name, tuple(target), tuple(target) == target_table.primary_key))
    return Relation(name, found.kind, found.source, columns, found.primary_key, tuple(links), base)


# -- counting --------------------------------------------------------------------------------------

async def count(m: Migrator, select: Select) -> tuple[int, bool]:
    """(rows, estimated). SQLite counts. PostgreSQL shows the planner's estimate from ESTIMATE_ABOVE
    rows on; below, it counts, and keeps the estimate if the count hits the statement timeout."""
    sql, params = select.count()
    if m.db.dialect == "sqlite":
        return int((await fetch(m, sql, params))[0]["n"]), False
    sql, params = select.estimate()
    plan = next(iter((await fetch(m, sql, params))[0].values()))
    plan = json.loads(plan) if isinstance(plan, str) else plan  # asyncpg: text; psycopg: parsed
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate >= ESTIMATE_ABOVE:
        return estimate, True
    return await _exact(m, select, estimate)


async def _exact(m: Migrator, select: Select, estimate: int) -> tuple[int, bool]:
    try:
        sql, params = select.count()
        return int((await m.db.fetch(sql, params))[0]["n"]), False
    except StatementError:  # the statement timeout: keep the estimate
        return estimate, True


async def check(m: Migrator, select: Select, cursor: tuple | None = None) -> None:
    """PostgreSQL parses every value the visitor gave as its column's type first: a 400, not a 503."""
    checks = select.checks(cursor)
    if checks is None:
        return
    try:
        await m.db.fetch(*checks)
    except StatementError as exc:
        raise BadRequest(f"a filter or cursor value does not fit its column: {exc.message}") from None


async def relations(m: Migrator, catalog: dict[str, RelationFacts], *, count_views: bool,
                    known: dict[str, tuple[int | None, bool]] | None = None) -> list[dict]:
    """Every table and view with its row count; a view's only when count_views, as counting one
    runs it (AssetLender's kpi_summary aggregates every application). `known`: counts already made."""
    counted = dict(known or {})
    counted.update(await _table_counts(m, [f for n, f in catalog.items() if f.kind == "table" and n not in counted]))
    out = []
    for name in catalog:
        rel = relation(catalog, name)
        if name not in counted and count_views:
            counted[name] = await count(m, Select(m.db.dialect, rel.source, rel.cols, [], TableQuery()))
        rows, estimated = counted.get(name, (None, False))
        out.append({"name": name, "kind": rel.kind, "path": rel.path, "rows": rows, "estimated": estimated})
    return out


async def _table_counts(m: Migrator, tables: list[RelationFacts]) -> dict[str, tuple[int | None, bool]]:
    """Every table's row count in a few queries (a page's sidebar lists them all): PostgreSQL's
    catalog estimate from ESTIMATE_ABOVE rows on, as the planner scales it; below, one count each."""
    estimates: dict[str, int | None] = {}
    if m.db.dialect == "postgres" and tables:
        for r in await fetch(m, _PG_ESTIMATES, {"names": [t.source for t in tables]}):
            tuples, pages, now = r["reltuples"], r["relpages"], r["pages_now"]
            # reltuples < 0: never analyzed (the page's own count asks the planner instead)
            estimates[r["name"]] = None if tuples < 0 else round(tuples / pages * now if pages > 0 else tuples)
    out = {t.name: (estimates[t.source], True) for t in tables
           if estimates.get(t.source) is not None and estimates[t.source] >= ESTIMATE_ABOVE}
    small = [t for t in tables if t.name not in out]
    for start in range(0, len(small), COUNTS_PER_QUERY):
        some = small[start:start + COUNTS_PER_QUERY]
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t.source}) AS c{i}" for i, t in enumerate(some))
        try:
            found = (await fetch(m, sql))[0]
            out.update({t.name: (int(found[f"c{i}"]), False) for i, t in enumerate(some)})
        except StatementError:  # the statement timeout
            out.update({t.name: (estimates.get(t.source), estimates.get(t.source) is not None) for t in some})
    return out


# A query has at most 2000 result columns on SQLite and 1664 on PostgreSQL
COUNTS_PER_QUERY = 500


_PG_ESTIMATES = """
SELECT u.name, c.reltuples::float8 AS reltuples, c.relpages::float8 AS relpages,
       (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages_now
FROM unnest(CAST(:names AS text[])) AS u(name) JOIN pg_catalog.pg_class c ON c.oid = to_regclass(u.name)
"""


# -- one page --------------------------------------------------------------------------------------

async def page(m: Migrator, rel: Relation, query: TableQuery) -> dict:
    """One page of `rel` as `query` asks: its rows, the total, and the links to the pages around it."""
    select = _select(m, rel, query)
    cursor = query.after or query.before
    if cursor is not None and not select.keys:
        raise BadRequest("a view has no key to page by: use page=<n>")
    await check(m, select, cursor)
    first = await fetch(m, *select.page(PAGE_SIZE + 1)) if cursor is None and query.page == 1 else None
    if first is not None and len(first) <= PAGE_SIZE:
        total, estimated = len(first), False  # the whole view is on this page: no count (a search's scan)
    else:
        total, estimated = await count(m, select)
    if (estimated and select.keys and cursor is None and isinstance(query.page, int)
            and (query.page - 1) * PAGE_SIZE >= total / 2):
        # A page by number in the far half of an estimated count: counting exactly (a scan of the
        # smallest index) and reading backwards from the end beats an OFFSET walk to it, and the
        # page is then exactly that page.
        total, estimated = await _exact(m, select, total)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    exact = not estimated
    number = query.page
    if number == "last":
        number = pages
    if cursor is None and exact and number > pages:
        raise BadRequest(f"page {number} is past the last page ({pages})")

    if query.after is not None:
        rows = await fetch(m, *select.page(PAGE_SIZE + 1, cursor=query.after))
        has_prev, has_next = True, len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
    elif query.before is not None:
        rows = await fetch(m, *select.page(PAGE_SIZE + 1, cursor=query.before, backwards=True))
        has_prev, has_next = len(rows) > PAGE_SIZE, True
        rows = rows[:PAGE_SIZE][::-1]
    else:
        start = (number - 1) * PAGE_SIZE
        if first is not None:
            rows, has_next = first[:PAGE_SIZE], len(first) > PAGE_SIZE
        elif select.keys and exact and number > 1 and start >= total / 2:
            # the far half: read backwards from the end, so the last page costs what the first does
            end = min(start + PAGE_SIZE, total)
            rows = (await fetch(m, *select.page(end - start, offset=total - end, backwards=True)))[::-1]
            has_next = end < total
        elif select.keys and query.page == "last":  # the total is an estimate: the last rows there are
            rows = (await fetch(m, *select.page(PAGE_SIZE, backwards=True)))[::-1]
            has_next = False
        else:
            rows = await fetch(m, *select.page(PAGE_SIZE + 1, offset=start))
            has_next = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
        has_prev = number > 1

    path = rel.path
    keys = [_key_of(r, len(select.keys)) for r in rows]
    links = {"first": query.link(path, page=1), "last": query.link(path, page="last") if pages else None,
             "previous": None, "next": None,
             "csv": query.link(path, page=1, format="csv"), "json": query.link(path, page=1, format="json")}
    if has_next and rows:
        links["next"] = query.link(path, page=number + 1, after=keys[-1] if select.keys else None)
    if has_prev:
        # An offset-read page starts at (number - 1) * PAGE_SIZE, so its previous one is page number - 1.
        # A page reached by key, or the last page by an estimate, need not: its previous page is the
        # PAGE_SIZE rows before its first, whatever number that gets.
        by_offset = cursor is None and not (query.page == "last" and estimated)
        if not select.keys or not rows or (by_offset and number == 2):
            links["previous"] = query.link(path, page=max(1, number - 1))
        else:
            links["previous"] = query.link(path, page=max(1, number - 1), before=keys[0])
    return {
        **layout.describe(rel, query),
        "page": number, "page_size": PAGE_SIZE, "pages": pages, "total": total, "estimated": estimated,
        "previous": number - 1 if has_prev else None, "next": number + 1 if has_next and rows else None,
        "links": links,
        **layout.cells(rel, rows),
    }


# -- one row ---------------------------------------------------------------------------------------

async def row(m: Migrator, catalog: dict[str, RelationFacts], rel: Relation, key: tuple[str, ...]) -> dict:
    """The row whose primary key is `key` (as text), and for every foreign key that points at this
    table, the first rows that reference it with their count."""
    if not rel.primary_key:
        raise NotFound(f"{rel.kind} {rel.name} has no primary key, so its rows have no page")
    if len(key) != len(rel.primary_key):
        raise NotFound(f"{rel.name}'s primary key is ({', '.join(rel.primary_key)}): give {len(rel.primary_key)} "
                       "value(s), separated by commas")
    lookup = TableQuery(filters=tuple(Filter(c, "eq", v) for c, v in zip(rel.primary_key, key)))
    try:
        select = _select(m, rel, lookup)
        await check(m, select)
    except BadRequest:  # not even a value of the key's type
        raise NotFound(f"no row of {rel.name} with {_describe_key(rel.primary_key, key)}") from None
    found = await fetch(m, *select.page(1))
    if not found:
        raise NotFound(f"no row of {rel.name} with {_describe_key(rel.primary_key, key)}")
    the_row = found[0]

    referenced_by = []
    for facts in catalog.values():
        for fk in facts.foreign_keys:
            if fk.table != rel.name:
                continue
            target = fk.target or rel.primary_key
            values = tuple(the_row.get(c) for c in target)
            if len(target) != len(fk.columns) or any(v is None for v in values):
                continue
            child = relation(catalog, facts.name, rel.base)
            narrow = TableQuery(filters=tuple(Filter(c, "eq", layout.text(v)) for c, v in zip(fk.columns, values)))
            sub = _select(m, child, narrow)
            sql, params = sub.count(cap=RELATED_CAP + 1)
            n = int((await fetch(m, sql, params))[0]["n"])
            rows = await fetch(m, *sub.page(RELATED_ROWS))
            referenced_by.append({"table": child.name, "via": list(fk.columns), "count": min(n, RELATED_CAP),
                                  "more_than": n > RELATED_CAP, "link": narrow.link(child.path),
                                  "columns": [c.name for c in child.cols], "numeric": [c.numeric for c in child.cols],
                                  "kinds": [c.kind for c in child.cols],
                                  "primary_key": list(child.primary_key), **layout.cells(child, rows)})
    return {**layout.describe(rel, TableQuery()), "key": list(key), **layout.cells(rel, [the_row]),
            "referenced_by": referenced_by}


# -- an export -------------------------------------------------------------------------------------

async def export_plan(m: Migrator, rel: Relation, query: TableQuery) -> Select:
    """The checked Select of an export, before anything is streamed (so a bad filter is still a 400)."""
    select = _select(m, rel, query)
    await check(m, select)
    return select


async def export_rows(m: Migrator, select: Select) -> AsyncIterator[list[dict]]:
    """Every row of the view, EXPORT_CHUNK at a time, each chunk after the last one's key.

    Each chunk is read in a transaction of its own (the driver's `fetch`): nothing is held open
    for the length of an export, so writers (`up` included) are never kept waiting by one. A row
    that stays put is exported exactly once, as each chunk starts after the last one's key; a row
    written meanwhile is in the export if its key comes after the chunk being read.
    """
    cursor, offset = None, 0
    while True:
        if select.keys:
            chunk = await fetch(m, *select.page(EXPORT_CHUNK, cursor=cursor))
        else:
            chunk = await fetch(m, *select.page(EXPORT_CHUNK, offset=offset))
            offset += len(chunk)
        if not chunk:
            return
        if select.keys:
            cursor = _key_of(chunk[-1], len(select.keys))
        yield chunk  # each row a dict by column name (and the key's extra columns, unused)
        if len(chunk) < EXPORT_CHUNK:
            return


# -- helpers ---------------------------------------------------------------------------------------

def _select(m: Migrator, rel: Relation, query: TableQuery) -> Select:
    keys = keys_for(m.db.dialect, rel.cols, rel.primary_key, is_table=rel.kind == "table",
                    sort=query.sort, desc=query.desc)
    return Select(m.db.dialect, rel.source, rel.cols, keys, query)


def _key_of(r: dict, n: int) -> tuple:
    return tuple(r[KEY_ALIAS.format(i)] for i in range(n))


def _describe_key(columns: tuple[str, ...], values: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {v!r}" for c, v in zip(columns, values))


__all__ = ["NotFound", "Relation", "relation", "relations", "page", "row", "export_plan", "export_rows",
           "count", "PAGE_SIZE", "ESTIMATE_ABOVE"]
