"""PostgreSQL's schema from `pg_catalog`, spelled by the server's own `pg_get_*def` functions.

Every schema except the system ones is read; objects in the connection's current schema are
named without it, others as `schema.name`. Objects that belong to an extension are left out
(they come and go with `CREATE EXTENSION`, which is listed), and so are the runner's journal tables.
"""
from __future__ import annotations

from . import (Column, Constraint, Index, Routine, Schema, Sequence, Table, Trigger, TypeDef, View,
               journal_tables)

# A user object: not in a system schema, not created by an extension.
_USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"


def _not_from_extension(catalog: str, oid: str) -> str:
    return (f"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{catalog}'::regclass "
            f"AND d.objid = {oid} AND d.deptype = 'e')")


def _display(ns: str, name: str) -> str:
    return f"CASE WHEN {ns}.nspname = current_schema() THEN {name}::text ELSE {ns}.nspname || '.' || {name} END"


_RELATIONS = f"""
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
"""

_TABLES = f"""
SELECT c.oid::bigint AS oid, {_display('n', 'c.relname')} AS name, c.relname::text AS relname,
       c.relkind::text AS relkind, c.relpersistence::text AS persistence,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN
            (SELECT {_display('pn', 'p.relname')} FROM pg_catalog.pg_inherits i
             JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
             JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid LIMIT 1)
            || ' ' || pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_of,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) END AS view_definition,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment
{_RELATIONS}
ORDER BY 2
"""

_COLUMNS = f"""
SELECT c.oid::bigint AS oid, a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS notnull, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default_expr,
       a.attidentity::text AS identity, a.attgenerated::text AS generated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END AS collation,
       pg_catalog.col_description(c.oid, a.attnum) AS comment
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm') AND {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
ORDER BY c.oid, a.attnum
"""

_CONSTRAINTS = f"""
SELECT c.oid::bigint AS oid, con.conname::text AS name, con.contype::text AS type,
       pg_catalog.pg_get_constraintdef(con.oid, true) AS definition,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.pos) AS columns,
       (SELECT {_display('rn', 'r.relname')} FROM pg_catalog.pg_class r
        JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = con.confrelid) AS refs
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
ORDER BY c.oid, con.conname
"""

_INDEXES = f"""
SELECT c.oid::bigint AS oid, ic.relname::text AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
       i.indisunique AS is_unique, i.indisvalid AS valid,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k + 1, true)
             FROM generate_subscripts(i.indkey, 1) AS k ORDER BY k) AS columns,
       (SELECT con.conname::text FROM pg_catalog.pg_constraint con
        WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
        LIMIT 1) AS backs
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
ORDER BY c.oid, ic.relname
"""

_TRIGGERS = f"""
SELECT c.oid::bigint AS oid, t.tgname::text AS name, pg_catalog.pg_get_triggerdef(t.oid, true) AS definition,
       t.tgenabled::text <> 'D' AS enabled
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
ORDER BY c.oid, t.tgname
"""

_ROUTINES = f"""
SELECT {_display('n', 'p.proname')} || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS name,
       CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END AS kind,
       pg_catalog.pg_get_functiondef(p.oid) AS definition
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND {_USER_SCHEMA} AND {_not_from_extension('pg_proc', 'p.oid')}
ORDER BY 1
"""

_SEQUENCES = f"""
SELECT {_display('n', 'c.relname')} AS name, pg_catalog.format_type(s.seqtypid, NULL) AS type,
       s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, s.seqcache AS cache,
       s.seqcycle AS cycle,
       (SELECT oc.relname::text FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class oc ON oc.oid = d.refobjid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS owner_table,
       (SELECT {_display('on_', 'oc.relname')} || '.' || a.attname FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class oc ON oc.oid = d.refobjid
        JOIN pg_catalog.pg_namespace on_ ON on_.oid = oc.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a' LIMIT 1) AS owned_by,
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.deptype = 'i') AS is_identity
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_SCHEMA} AND {_not_from_extension('pg_class', 'c.oid')}
ORDER BY 1
"""

_TYPES = f"""
SELECT {_display('n', 't.typname')} AS name, t.typtype::text AS typtype,
       CASE t.typtype
         WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                        FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
         WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                       || COALESCE(' DEFAULT ' || t.typdefault, '')
                       || COALESCE((SELECT ' ' || string_agg('CONSTRAINT ' || quote_ident(con.conname) || ' '
                                                             || pg_catalog.pg_get_constraintdef(con.oid, true), ' '
                                                             ORDER BY con.conname)
                                    FROM pg_catalog.pg_constraint con
                                    WHERE con.contypid = t.oid AND con.contype = 'c'), '')
         WHEN 'c' THEN (SELECT string_agg(quote_ident(a.attname) || ' '
                                          || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                        FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
         WHEN 'r' THEN (SELECT 'SUBTYPE = ' || pg_catalog.format_type(r.rngsubtype, NULL)
                        FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)
       END AS definition
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'c', 'r')
  AND (t.typtype <> 'c' OR (SELECT k.relkind FROM pg_catalog.pg_class k WHERE k.oid = t.typrelid) = 'c')
  AND {_USER_SCHEMA} AND {_not_from_extension('pg_type', 't.oid')}
ORDER BY 1
"""

_EXTENSIONS = "SELECT extname::text AS name FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' ORDER BY 1"

_SCHEMAS = f"""
SELECT n.nspname::text AS name FROM pg_catalog.pg_namespace n
WHERE {_USER_SCHEMA} AND n.nspname <> current_schema() AND {_not_from_extension('pg_namespace', 'n.oid')}
ORDER BY 1
"""

_TYPE_KINDS = {"e": "enum", "d": "domain", "c": "composite", "r": "range"}
_CONSTRAINT_KINDS = {"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclude"}


async def snapshot(db) -> Schema:
    relations = [r for r in await db.fetch(_TABLES) if r["relname"] not in journal_tables("postgres")]
    wanted = {r["oid"] for r in relations}

    def by_oid(rows: list[dict]) -> dict[int, list[dict]]:
        grouped: dict[int, list[dict]] = {}
        for r in rows:
            if r["oid"] in wanted:
                grouped.setdefault(r["oid"], []).append(r)
        return grouped

    columns = by_oid(await db.fetch(_COLUMNS))
    constraints = by_oid(await db.fetch(_CONSTRAINTS))
    indexes = by_oid(await db.fetch(_INDEXES))
    triggers = by_oid(await db.fetch(_TRIGGERS))

    tables, views = [], []
    for r in relations:
        oid = r["oid"]
        cols = tuple(_column(c) for c in columns.get(oid, ()))
        idx = tuple(Index(i["name"], i["definition"], unique=i["is_unique"], columns=tuple(i["columns"]),
                          valid=i["valid"], constraint=i["backs"]) for i in indexes.get(oid, ()))
        trg = tuple(Trigger(t["name"], t["definition"], enabled=t["enabled"]) for t in triggers.get(oid, ()))
        if r["relkind"] in ("v", "m"):
            views.append(View(r["name"], r["view_definition"], materialized=r["relkind"] == "m", columns=cols,
                              indexes=idx, triggers=trg, comment=r["comment"]))
            continue
        cons = tuple(Constraint(_CONSTRAINT_KINDS[c["type"]], c["definition"], name=c["name"],
                                columns=tuple(c["columns"]), references=c["refs"]) for c in constraints.get(oid, ()))
        tables.append(Table(r["name"], cols, constraints=cons, indexes=idx, triggers=trg, options=_options(r),
                            comment=r["comment"]))

    sequences = []
    for s in await db.fetch(_SEQUENCES):
        if s["is_identity"] or s["owner_table"] in journal_tables("postgres"):
            continue  # an identity column's own sequence is part of the column
        definition = (f"AS {s['type']} START {s['start']} INCREMENT {s['increment']} MINVALUE {s['min']} "
                      f"MAXVALUE {s['max']} CACHE {s['cache']}{' CYCLE' if s['cycle'] else ''}")
        sequences.append(Sequence(s["name"], definition, owned_by=s["owned_by"]))

    return Schema(
        "postgres",
        tables=tuple(tables),
        views=tuple(views),
        routines=tuple(Routine(r["name"], r["kind"], r["definition"]) for r in await db.fetch(_ROUTINES)),
        sequences=tuple(sequences),
        types=tuple(TypeDef(t["name"], _TYPE_KINDS[t["typtype"]], t["definition"] or "")
                    for t in await db.fetch(_TYPES)),
        extensions=tuple(r["name"] for r in await db.fetch(_EXTENSIONS)),
        schemas=tuple(r["name"] for r in await db.fetch(_SCHEMAS)),
    )


def _column(c: dict) -> Column:
    generated = c["generated"] == "s"
    return Column(
        name=c["name"],
        type=c["type"],
        nullable=not c["notnull"],
        default=None if generated else c["default_expr"],
        generated=f"({c['default_expr']}) STORED" if generated else None,
        identity={"a": "always", "d": "by default"}.get(c["identity"] or ""),
        collation=c["collation"],
        comment=c["comment"],
    )


def _options(r: dict) -> tuple[str, ...]:
    options = []
    if r["persistence"] == "u":
        options.append("UNLOGGED")
    if r["partition_key"]:
        options.append(f"PARTITION BY {r['partition_key']}")
    if r["partition_of"]:
        options.append(f"PARTITION OF {r['partition_of']}")
    if r["rls"]:
        options.append("ROW LEVEL SECURITY")
    if r["force_rls"]:
        options.append("FORCE ROW LEVEL SECURITY")
    return tuple(options)
