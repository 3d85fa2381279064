"""How a data page is laid out for its template and its JSON: the columns, the active filters, the
filter row and the sort links, and every cell's value beside its link (a foreign key's to the row
it references, a primary key's to its own row's page)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote as url_quote

from .columns import Col, jsonable
from .query import RESERVED, Filter, TableQuery

if TYPE_CHECKING:
    from .browse import Relation


def text(value) -> str:
    """A value as the URL and the filters carry it (and PostgreSQL parses back)."""
    shown = jsonable(value, whole=True)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return shown if isinstance(shown, str) else json.dumps(shown) if isinstance(shown, (list, dict)) else str(shown)


def describe(rel: Relation, query: TableQuery) -> dict:
    path = rel.path
    by_name = {c.name: c for c in rel.cols}
    shown = {f.param[0] for f in query.filters if _filter_row_value(query, by_name[f.column])}
    return {
        "name": rel.name, "kind": rel.kind, "path": path,
        "columns": [c.name for c in rel.cols],
        "types": [c.type for c in rel.cols],
        "numeric": [c.numeric for c in rel.cols],
        "kinds": [c.kind for c in rel.cols],
        "primary_key": list(rel.primary_key),
        "sort": query.sort, "desc": query.desc, "search": query.search,
        "filters": [{"column": f.column, "op": f.op, "value": f.value, "text": f.describe(),
                     "remove": query.without(path, i)} for i, f in enumerate(query.filters)],
        "order": _ordertext(rel, query),
        "form": {  # what the HTML page's links and forms need (not in the JSON)
            "filter_row": [_filter_input(query, c) for c in rel.cols],
            # what the filter form sends besides the filter row's inputs and the search box
            "hidden": [(k, v) for k, v in query.pairs(page=1, search="", after=None, before=None, format=None)
                       if k not in shown],
            "jump_hidden": query.pairs(page=1, after=None, before=None, format=None),
            "sort_links": {c.name: query.sort_link(path, c.name) for c in rel.cols if c.sortable},
            "clear": query.link(path, filters=(), search="", page=1),
        },
        "searchable": any(c.kind == "text" for c in rel.cols),
    }


SHORTHAND_KINDS = ("number", "date", "datetime", "time")  # where the filter row's `>5` means a comparison


def _filter_input(query: TableQuery, col: Col) -> dict:
    """One input of the filter row: its name in the query string and the filter it shows."""
    return {"column": col.name, "name": col.name + "__eq" if col.name in RESERVED else col.name,
            "value": _filter_row_value(query, col)}


def _filter_row_value(query: TableQuery, col: Col) -> str:
    """The one filter on this column the filter row can show and send back ('' if none or several)."""
    mine = [f for f in query.filters if f.column == col.name and f.op != "isnull"]
    if len(mine) != 1 or (mine[0].op != "eq" and (col.kind not in SHORTHAND_KINDS or col.name in RESERVED)):
        return ""
    return mine[0].shorthand()


def _ordertext(rel: Relation, query: TableQuery) -> str | None:
    if query.sort:
        tail = [c for c in rel.primary_key if c != query.sort]
        return f"{query.sort}{' descending' if query.desc else ''}" + (f", then {', '.join(tail)}" if tail else "")
    if rel.primary_key:
        return ", ".join(rel.primary_key)
    return "storage order" if rel.kind == "table" else None


def cells(rel: Relation, rows: list[dict]) -> dict:
    """The rows as JSON-ready lists, and beside them the link of every cell that has one:
    a foreign key's value to the row it references, a primary key's to this row's own page."""
    names = [c.name for c in rel.cols]
    values = [[jsonable(r[n]) for n in names] for r in rows]
    links: list[list[str | None]] = []
    for r in rows:
        own = _row_path(rel.path, tuple(r[c] for c in rel.primary_key)) if rel.primary_key else None
        cells: list[str | None] = [own if n in rel.primary_key else None for n in names]
        for link in rel.links:
            vals = tuple(r[c] for c in link.columns)
            if any(v is None for v in vals):
                continue
            target_path = f"{rel.base}/" + url_quote(link.table, safe="")
            if link.to_row:
                href = _row_path(target_path, vals)
            else:
                href = TableQuery(filters=tuple(Filter(c, "eq", text(v)) for c, v in zip(link.target, vals))
                                  ).link(target_path)
            for c in link.columns:
                cells[names.index(c)] = href
        links.append(cells)
    return {"rows": values, "cell_links": links}


def _row_path(table_path: str, values: tuple) -> str | None:
    """/tables/<name>/<key>: each value of a composite key percent-encoded, then joined with commas."""
    if any(v is None for v in values):
        return None
    return f"{table_path}/" + ",".join(url_quote(text(v), safe="") for v in values)
