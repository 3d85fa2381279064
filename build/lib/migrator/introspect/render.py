"""A snapshot as SQL text: one stable, sorted file per schema, made for review diffs.

SQLite: the CREATE texts SQLite stores, tables first, then indexes, views and triggers.
PostgreSQL: DDL rebuilt from the catalog (types, sequences, tables with their constraints,
foreign keys last, indexes, functions, views, triggers, comments). It reads like
`pg_dump --schema-only` without owners, grants or settings; it is a description to review,
not a backup.
"""
from __future__ import annotations

import re

from . import Schema, Table

HEADER = "-- The {dialect} schema, normalised by `runner.py schema` (the runner's journal tables are left out).\n"


def to_sql(schema: Schema) -> str:
    body = _sqlite(schema) if schema.dialect == "sqlite" else _postgres(schema)
    return HEADER.format(dialect="SQLite" if schema.dialect == "sqlite" else "PostgreSQL") + \
        "".join(f"\n{block.rstrip().rstrip(';')};\n" for block in body)


def _sqlite(schema: Schema) -> list[str]:
    blocks = [t.sql or "" for t in schema.tables]
    blocks += [i.sql for t in schema.tables for i in t.indexes if i.sql]
    blocks += [v.sql or v.definition for v in schema.views]
    blocks += [tr.sql or tr.definition for owner in (*schema.tables, *schema.views) for tr in owner.triggers]
    return blocks


def _q(name: str) -> str:
    """Quote an identifier unless it needs none; `schema.name` stays two identifiers."""
    return ".".join(p if re.fullmatch(r"[a-z_][a-z0-9_$]*", p) else '"' + p.replace('"', '""') + '"'
                    for p in name.split(".", 1))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _postgres(schema: Schema) -> list[str]:
    blocks = [f"CREATE SCHEMA {_q(s)}" for s in schema.schemas]
    blocks += [f"CREATE EXTENSION IF NOT EXISTS {_q(e)}" for e in schema.extensions]
    for t in schema.types:
        if t.kind == "enum":
            blocks.append(f"CREATE TYPE {_q(t.name)} AS ENUM ({t.definition})")
        elif t.kind == "domain":
            blocks.append(f"CREATE DOMAIN {_q(t.name)} AS {t.definition}")
        elif t.kind == "composite":
            blocks.append(f"CREATE TYPE {_q(t.name)} AS ({t.definition})")
        else:
            blocks.append(f"CREATE TYPE {_q(t.name)} AS RANGE ({t.definition})")
    blocks += [f"CREATE SEQUENCE {_q(s.name)} {s.definition}" for s in schema.sequences]
    blocks += [_create_table(t) for t in schema.tables]
    for t in schema.tables:
        blocks += [f"ALTER TABLE {_q(t.name)} ADD CONSTRAINT {_q(c.name or '')} {c.definition}"
                   for c in t.foreign_keys]
    blocks += [f"ALTER SEQUENCE {_q(s.name)} OWNED BY {_q(s.owned_by)}" for s in schema.sequences if s.owned_by]
    blocks += [i.definition for owner in (*schema.tables, *schema.views) for i in owner.indexes if not i.constraint]
    blocks += [r.definition for r in schema.routines]
    for v in schema.views:
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        blocks.append(f"CREATE {kind} {_q(v.name)} AS\n{v.definition.rstrip().rstrip(';')}")
    blocks += [tr.definition for owner in (*schema.tables, *schema.views) for tr in owner.triggers]
    for t in schema.tables:
        if "ROW LEVEL SECURITY" in t.options:
            blocks.append(f"ALTER TABLE {_q(t.name)} ENABLE ROW LEVEL SECURITY")
        if "FORCE ROW LEVEL SECURITY" in t.options:
            blocks.append(f"ALTER TABLE {_q(t.name)} FORCE ROW LEVEL SECURITY")
    for owner, kind in [(t, "TABLE") for t in schema.tables] + [(v, "VIEW") for v in schema.views]:
        if owner.comment:
            blocks.append(f"COMMENT ON {kind} {_q(owner.name)} IS {_literal(owner.comment)}")
        for c in owner.columns:
            if c.comment:
                blocks.append(f"COMMENT ON COLUMN {_q(owner.name)}.{_q(c.name)} IS {_literal(c.comment)}")
    return blocks


def _create_table(t: Table) -> str:
    partition_of = next((o for o in t.options if o.startswith("PARTITION OF ")), None)
    unlogged = "UNLOGGED " if "UNLOGGED" in t.options else ""
    if partition_of:
        return f"CREATE {unlogged}TABLE {_q(t.name)} {partition_of}"
    lines = []
    for c in t.columns:
        parts = [_q(c.name), c.type]
        if c.collation:
            parts.append(f'COLLATE "{c.collation}"')
        if c.generated:
            parts.append(f"GENERATED ALWAYS AS {c.generated}")
        if c.identity:
            parts.append(f"GENERATED {c.identity.upper()} AS IDENTITY")
        if c.default is not None:
            parts.append(f"DEFAULT {c.default}")
        if not c.nullable:
            parts.append("NOT NULL")
        lines.append(" ".join(parts))
    lines += [f"CONSTRAINT {_q(c.name or '')} {c.definition}" for c in t.constraints if c.kind != "foreign key"]
    tail = "".join(f" {o}" for o in t.options if o.startswith("PARTITION BY "))
    return f"CREATE {unlogged}TABLE {_q(t.name)} (\n" + ",\n".join(f"    {line}" for line in lines) + f"\n){tail}"
