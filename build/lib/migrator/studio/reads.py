"""What the studio shows, as plain JSON-ready dicts: one function per page, each over a read-only Migrator.

Migration facts come from the engine (`status()`, `verify()`, the journal) and the pure planner
(`plan.plan_up` / `plan.plan_down`, the same code `up --dry-run` and `down --dry-run` use); the
schema from the catalog introspection. The only SQL written here is a row count and one page of
one table, with every identifier quoted and the table checked against the catalog first.
"""
from __future__ import annotations

import datetime
import decimal
import math
import sqlite3
import uuid

from .. import plan
from ..engine import Migrator
from ..errors import MigratorError
from ..introspect import Schema, Table, View, snapshot

PAGE_SIZE = 50
EVENT_LIMIT = 1000  # the newest events the events page filters over


class NotFound(LookupError):
    """The visitor asked for a table or view that is not in the catalog."""


async def migrations(m: Migrator) -> dict:
    """`status --json`'s document, each migration with more: who applied it, the SQL `up` would
    run for a pending one, and the rollback `down` would run for an applied one (file or stored copy)."""
    report = await m.status()
    applied = {a.version: a for a in await m.applied()}
    files = m.project.by_version()
    doc = report.as_json()
    for entry, s in zip(doc["migrations"], report.migrations):
        entry["applied_by"] = s.applied_by
        entry["up"] = None
        entry["rollback"] = None
        mig = files.get(s.version)
        if s.state.value == "pending" and mig is not None:
            entry["up"] = {"path": mig.up.display_path, "sql": mig.up.sql}
        row = applied.get(s.version)
        if row is not None and not row.failed:
            try:
                step = plan.plan_down(m.project.migrations, [row], everything=True)[0]
                stored = step.source == "journal"
                entry["rollback"] = {"source": "journal" if stored else "file",
                                     "path": None if stored else step.source, "sql": step.sql}
            except MigratorError as exc:
                entry["rollback"] = {"source": None, "path": None, "sql": None, "error": exc.message}
    doc["would_apply"] = [mig.label for mig in plan.plan_up(m.project.migrations, list(applied.values()))]
    doc["problems"] = [{"kind": p.kind.value, "message": p.message, "version": p.version}
                       for p in await m.verify()]
    return doc


async def events(m: Migrator, *, action: str | None = None, failed_only: bool = False) -> dict:
    """The journal's event log, newest first, filtered by action and/or failure."""
    everything = await m.events(EVENT_LIMIT)
    shown = [e for e in everything
             if (not action or e["action"] == action) and (not failed_only or not e["success"])]
    return {"actions": sorted({e["action"] for e in everything}), "action": action or None,
            "failed_only": failed_only, "limit": EVENT_LIMIT, "events": [_jsonable_row(e) for e in shown]}


async def schema(m: Migrator) -> dict:
    """Every table and view from the database's own catalog, with row counts."""
    s = await snapshot(m.db)
    return {
        "dialect": s.dialect,
        "tables": [dict(_table(t), rows=await _count(m, s, t.name)) for t in s.tables],
        "views": [dict(_view(v), rows=await _count(m, s, v.name)) for v in s.views],
        "routines": [{"name": r.name, "kind": r.kind, "definition": r.definition} for r in s.routines],
        "sequences": [{"name": q.name, "definition": q.definition, "owned_by": q.owned_by} for q in s.sequences],
        "types": [{"name": t.name, "kind": t.kind, "definition": t.definition} for t in s.types],
        "extensions": list(s.extensions),
    }


async def rows(m: Migrator, name: str, page: int = 1) -> dict:
    """Page `page` (from 1) of one table or view: PAGE_SIZE rows in primary-key order; never more is read."""
    s = await snapshot(m.db)
    relation = s.table(name) or s.view(name)
    if relation is None:
        raise NotFound(name)
    source = await _qualified(m, name)
    columns = [c.name for c in relation.columns]
    order = _order(m.db.dialect, relation)
    total = await _count(m, s, name)
    fetched = await m.db.fetch(f"SELECT {', '.join(_quote(c) for c in columns)} FROM {source}{order} "
                               f"LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}")
    pages = max(1, math.ceil(total / PAGE_SIZE)) if total is not None else None
    return {"name": name, "kind": "table" if isinstance(relation, Table) else "view",
            "columns": columns, "primary_key": list(relation.primary_key) if isinstance(relation, Table) else [],
            "order": order.removeprefix(" ORDER BY ") or None,
            "page": page, "page_size": PAGE_SIZE, "pages": pages, "total": total,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if total is not None and page * PAGE_SIZE < total else None,
            "rows": [[_jsonable(r[c]) for c in columns] for r in fetched]}


# -- helpers ---------------------------------------------------------------------------------------

def _quote(identifier: str) -> str:
    """A quoted identifier, the same on both dialects."""
    return '"' + identifier.replace('"', '""') + '"'


async def _qualified(m: Migrator, name: str) -> str:
    """The relation's quoted name. PostgreSQL's snapshot names it `schema.table` outside the current
    schema, so the catalog is asked which schema and relation that display name stands for."""
    if m.db.dialect == "sqlite":
        return _quote(name)
    found = await m.db.fetch(
        "SELECT n.nspname::text AS nsp, c.relname::text AS rel FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm') "
        "AND CASE WHEN n.nspname = current_schema() THEN c.relname::text "
        "ELSE n.nspname || '.' || c.relname END = :name", {"name": name})
    if not found:
        raise NotFound(name)
    return f"{_quote(found[0]['nsp'])}.{_quote(found[0]['rel'])}"


def _order(dialect: str, relation: Table | View) -> str:
    """Primary-key order; a table without one in storage order (rowid / ctid); a view as it comes."""
    if isinstance(relation, View):
        return ""
    if relation.primary_key:
        return " ORDER BY " + ", ".join(_quote(c) for c in relation.primary_key)
    return " ORDER BY rowid" if dialect == "sqlite" else " ORDER BY ctid"


async def _count(m: Migrator, s: Schema, name: str) -> int | None:
    """The number of rows, or None when counting failed (e.g. hit the statement timeout)."""
    try:
        return int((await m.db.fetch(f"SELECT count(*) AS n FROM {await _qualified(m, name)}"))[0]["n"])
    except (MigratorError, sqlite3.Error):
        return None


def _table(t: Table) -> dict:
    return {
        "name": t.name,
        "columns": [_column(c) for c in t.columns],
        "primary_key": list(t.primary_key),
        "foreign_keys": [{"name": c.name, "columns": list(c.columns), "references": c.references,
                          "definition": c.definition} for c in t.foreign_keys],
        "constraints": [{"name": c.name, "kind": c.kind, "definition": c.definition}
                        for c in t.constraints if c.kind not in ("primary key", "foreign key")],
        "indexes": [{"name": i.name, "unique": i.unique, "definition": i.sql or i.definition, "valid": i.valid}
                    for i in t.indexes],
        "triggers": [{"name": tr.name, "definition": tr.sql or tr.definition, "enabled": tr.enabled}
                     for tr in t.triggers],
        "options": list(t.options),
        "comment": t.comment,
    }


def _view(v: View) -> dict:
    return {"name": v.name, "materialized": v.materialized, "definition": v.sql or v.definition,
            "columns": [_column(c) for c in v.columns],
            "indexes": [{"name": i.name, "unique": i.unique, "definition": i.sql or i.definition, "valid": i.valid}
                        for i in v.indexes],
            "triggers": [{"name": tr.name, "definition": tr.sql or tr.definition, "enabled": tr.enabled}
                         for tr in v.triggers],
            "comment": v.comment}


def _column(c) -> dict:
    return {"name": c.name, "type": c.type, "nullable": c.nullable, "default": c.default,
            "generated": c.generated, "identity": c.identity, "collation": c.collation, "comment": c.comment}


def _jsonable_row(row: dict) -> dict:
    return {k: _jsonable(v) for k, v in row.items()}


def _jsonable(value):
    """A database value as JSON can carry it (and the page shows it): exact numbers and times as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return "\\x" + data.hex() if len(data) <= 64 else f"\\x{data[:64].hex()}… ({len(data)} bytes)"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
