"""What the data pages need to know of every table and view, in two or three catalog queries:
columns (name, declared type, nullability), the primary key and the foreign keys.

The schema page uses the full introspection (`introspect.snapshot`: indexes, triggers, checks,
routines, and on SQLite a parse of every stored CREATE statement), which costs 20-50 ms; every
data page reads this instead. It names relations the same way (PostgreSQL: `schema.name` outside
the current schema) and leaves out the same things (system and extension objects, the journal).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..introspect import journal_tables


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str  # the referenced relation's display name
    target: tuple[str, ...]  # its columns there; () = its primary key (SQLite's `REFERENCES t`)


@dataclass(frozen=True)
class RelationFacts:
    name: str  # display name
    kind: str  # "table" | "view"
    source: str  # the quoted, schema-qualified name to read from
    columns: tuple[ColumnFacts, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()


def quote(identifier: str) -> str:
    """A quoted identifier, the same on both dialects."""
    return '"' + identifier.replace('"', '""') + '"'


async def read(db) -> dict[str, RelationFacts]:
    """Every table and view by display name, tables first, each group by name. Read-only."""
    return await (_sqlite(db) if db.dialect == "sqlite" else _postgres(db))


_SQLITE_COLUMNS = """
SELECT m.type AS kind, m.name AS rel, p.name, p.type, p."notnull" AS not_null, p.pk
FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p
WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND p.hidden <> 1
ORDER BY m.type, m.name, p.cid
"""
_SQLITE_FOREIGN_KEYS = """
SELECT m.name AS rel, f.id, f."table" AS ref, f."from" AS col, f."to" AS target
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, f.id, f.seq
"""


async def _sqlite(db) -> dict[str, RelationFacts]:
    skip = journal_tables("sqlite")
    columns: dict[str, list[dict]] = {}
    for r in await db.fetch(_SQLITE_COLUMNS):
        if r["rel"] not in skip:
            columns.setdefault(r["rel"], []).append(r)
    keys: dict[tuple[str, int], list[dict]] = {}
    for r in await db.fetch(_SQLITE_FOREIGN_KEYS):
        keys.setdefault((r["rel"], r["id"]), []).append(r)
    out = {}
    for name, cols in columns.items():
        pk = tuple(c["name"] for c in sorted((c for c in cols if c["pk"]), key=lambda c: c["pk"]))
        fks = tuple(ForeignKey(tuple(p["col"] for p in parts), parts[0]["ref"],
                               tuple(p["target"] for p in parts if p["target"] is not None))
                    for (rel, _), parts in keys.items() if rel == name)
        out[name] = RelationFacts(name, cols[0]["kind"], quote(name),
                                  tuple(ColumnFacts(c["name"], c["type"] or "", not c["not_null"]) for c in cols),
                                  pk, fks)
    return out


_PG_USER = ("n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype = 'e')")
_PG_NAME = "CASE WHEN n.nspname = current_schema() THEN c.relname::text ELSE n.nspname || '.' || c.relname END"
_PG_COLUMNS = f"""
SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind, {_PG_NAME} AS rel,
       n.nspname::text AS nsp, c.relname::text AS relname, a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       coalesce(array_position(pk.conkey, a.attnum), 0) AS pk
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {_PG_USER}
ORDER BY 1, 2, a.attnum
"""
_PG_FOREIGN_KEYS = f"""
SELECT {_PG_NAME} AS rel,
       (SELECT CASE WHEN rn.nspname = current_schema() THEN r.relname::text ELSE rn.nspname || '.' || r.relname END
        FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
        WHERE r.oid = con.confrelid) AS ref,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos) AS cols,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos)
         AS targets
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND {_PG_USER}
ORDER BY 1, con.conname
"""


async def _postgres(db) -> dict[str, RelationFacts]:
    skip = journal_tables("postgres")
    columns: dict[str, list[dict]] = {}
    for r in await db.fetch(_PG_COLUMNS):
        if r["relname"] not in skip:
            columns.setdefault(r["rel"], []).append(r)
    keys: dict[str, list[ForeignKey]] = {}
    for r in await db.fetch(_PG_FOREIGN_KEYS):
        keys.setdefault(r["rel"], []).append(ForeignKey(tuple(r["cols"]), r["ref"], tuple(r["targets"])))
    out = {}
    for name, cols in columns.items():
        first = cols[0]
        pk = tuple(c["name"] for c in sorted((c for c in cols if c["pk"]), key=lambda c: c["pk"]))
        out[name] = RelationFacts(name, first["kind"], f"{quote(first['nsp'])}.{quote(first['relname'])}",
                                  tuple(ColumnFacts(c["name"], c["type"], not c["not_null"]) for c in cols),
                                  pk, tuple(keys.get(name, ())))
    return out
