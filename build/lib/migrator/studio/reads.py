"""What the studio shows, as plain JSON-ready dicts: one function per page, each over a read-only Migrator.

Migration facts come from the engine (`status()`, `verify()`, the journal) and the pure planner
(`plan.plan_up` / `plan.plan_down`, the same code `up --dry-run` and `down --dry-run` use); the
schema from the catalog introspection. The data pages' reads are in browse.py.
"""
from __future__ import annotations

from urllib.parse import quote as url_quote

from .. import plan
from ..engine import Migrator
from ..errors import MigratorError
from ..introspect import Table, View, snapshot
from ..model import directives
from . import browse, catalog
from .columns import jsonable

EVENT_LIMIT = 1000  # the newest events the events page filters over


async def migrations(m: Migrator) -> dict:
    """`status --json`'s document, each migration with more: who applied it, the SQL `up` would
    run for a pending one, the rollback `down` would run for an applied one (file or stored copy),
    its data checks, and for an edited one the diff of the SQL as applied against today's file."""
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
        # a data checks file (checks/), and for an edited applied file what changed (the "changes" diff)
        entry["checks_file"] = ({"path": mig.checks.display_path, "sql": mig.checks.sql}
                                if mig is not None and mig.checks is not None else None)
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
    doc["seeds"] = await _seeds(m)
    return doc


async def _seeds(m: Migrator) -> list[dict]:
    """seeds/ with each one's newest run from the event log (the events page links here)."""
    runs: dict[int, dict] = {}
    for e in await m.events(EVENT_LIMIT):  # newest first
        if e["action"] == "seed" and e["version"] is not None:
            runs.setdefault(e["version"], e)
    out = []
    for seed in m.project.seeds:
        last = runs.get(seed.version)
        out.append({"version": seed.version, "name": seed.name, "path": seed.script.display_path,
                    "on_demand": "on-demand" in directives(seed.script.sql),
                    "last_run": None if last is None else {"at": jsonable(last["occurred_at"]),
                                                           "success": bool(last["success"])}})
    return out


def event_link(e: dict) -> str | None:
    """Where an event's version or name is on the migrations page: a migration, a seed or a repeatable."""
    if e["action"] == "repeatable" and e["name"]:
        return "/#repeatable-" + url_quote(e["name"], safe="")
    if e["version"] is None:
        return None
    return f"/#seed-{e['version']}" if e["action"] == "seed" else f"/#v{e['version']}"


async def events(m: Migrator, *, action: str | None = None, failed_only: bool = False) -> dict:
    """The journal's event log, newest first, filtered by action and/or failure."""
    everything = await m.events(EVENT_LIMIT)
    shown = [e for e in everything
             if (not action or e["action"] == action) and (not failed_only or not e["success"])]
    return {"actions": sorted({e["action"] for e in everything}), "action": action or None,
            "failed_only": failed_only, "limit": EVENT_LIMIT,
            "events": [dict(_jsonable_row(e), link=event_link(e)) for e in shown]}


async def schema(m: Migrator) -> dict:
    """Every table and view from the database's own catalog, with row counts (browse.count)."""
    s = await snapshot(m.db)
    counted = {r["name"]: r for r in await browse.relations(m, await catalog.read(m.db), count_views=True)}

    def rows(name: str) -> dict:
        return {"rows": counted[name]["rows"], "rows_estimated": counted[name]["estimated"]}

    return {
        "dialect": s.dialect,
        "tables": [dict(_table(t), **rows(t.name)) for t in s.tables],
        "views": [dict(_view(v), **rows(v.name)) for v in s.views],
        "routines": [{"name": r.name, "kind": r.kind, "definition": r.definition} for r in s.routines],
        "sequences": [{"name": q.name, "definition": q.definition, "owned_by": q.owned_by} for q in s.sequences],
        "types": [{"name": t.name, "kind": t.kind, "definition": t.definition} for t in s.types],
        "extensions": list(s.extensions),
    }


# -- helpers ---------------------------------------------------------------------------------------

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
    return {k: jsonable(v) for k, v in row.items()}
