"""What a database's schema is, read from its own catalog, in one comparable shape for both dialects.

`await snapshot(driver)` returns a `Schema`: tables with their columns, constraints, indexes and
triggers, then views, routines, sequences, types, extensions and schemas. Everything is
normalised so that comparing two snapshots shows real differences only: objects are sorted by
name (a table's column order is compared, as one attribute of the table), SQLite's unnamed
constraints are keyed by what they say (not by `sqlite_autoindex_t_1`), and expressions use the
database's own canonical spelling (PostgreSQL's `pg_get_*def`) or a token-normalised one
(SQLite's stored text).

The runner's own journal tables (`schema_journal`, `schema_journal_events`, …, as made by
journal/<dialect>.sql) are left out. Read-only.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass


@functools.cache
def journal_tables(dialect: str) -> frozenset[str]:
    """The runner's own tables: those the `create` block of journal/<dialect>.sql makes."""
    from ..journal import queries
    from ..sqlfacts import facts

    return frozenset(f.name for sql in queries(dialect)["create"] for f in facts(sql, dialect)
                     if f.action == "create" and f.kind == "table")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None = None
    generated: str | None = None  # the expression of a generated column ("... STORED" / "VIRTUAL")
    identity: str | None = None  # PostgreSQL identity: "always" | "by default"
    collation: str | None = None  # only when it is not the type's default
    comment: str | None = None

    def describe(self) -> str:
        parts = [self.type or "(no type)", "NULL" if self.nullable else "NOT NULL"]
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.generated:
            parts.append(f"GENERATED ALWAYS AS {self.generated}")
        if self.identity:
            parts.append(f"GENERATED {self.identity.upper()} AS IDENTITY")
        if self.collation:
            parts.append(f"COLLATE {self.collation}")
        return " ".join(parts)


@dataclass(frozen=True)
class Constraint:
    kind: str  # "primary key" | "unique" | "foreign key" | "check" | "exclude"
    definition: str  # e.g. "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"
    name: str | None = None  # None for SQLite's unnamed constraints
    columns: tuple[str, ...] = ()
    references: str | None = None  # foreign key: the referenced table

    @property
    def key(self) -> str:
        return self.name or self.definition


@dataclass(frozen=True)
class Index:
    name: str
    definition: str  # CREATE INDEX ... as the database spells it (normalised on SQLite)
    unique: bool = False
    columns: tuple[str, ...] = ()  # column names; expressions as written
    valid: bool = True  # PostgreSQL: false after a failed CREATE INDEX CONCURRENTLY
    constraint: str | None = None  # the constraint this index backs (compared through the constraint)
    sql: str | None = None  # SQLite: the CREATE INDEX text as stored


@dataclass(frozen=True)
class Trigger:
    name: str
    definition: str
    enabled: bool = True
    sql: str | None = None  # SQLite: the CREATE TRIGGER text as stored


@dataclass(frozen=True)
class Table:
    name: str  # qualified with its schema unless it is in the current one
    columns: tuple[Column, ...]  # in the table's own order
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    options: tuple[str, ...] = ()  # STRICT, WITHOUT ROWID, AUTOINCREMENT, UNLOGGED, PARTITION BY …, ROW LEVEL SECURITY
    comment: str | None = None
    sql: str | None = None  # SQLite: the CREATE TABLE text as stored

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return next((c.columns for c in self.constraints if c.kind == "primary key"), ())

    @property
    def foreign_keys(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.kind == "foreign key")


@dataclass(frozen=True)
class View:
    name: str
    definition: str
    materialized: bool = False
    columns: tuple[Column, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    comment: str | None = None
    sql: str | None = None  # SQLite: the CREATE VIEW text as stored


@dataclass(frozen=True)
class Routine:
    name: str  # with its argument types, e.g. "touch_updated_at()"
    kind: str  # "function" | "procedure"
    definition: str


@dataclass(frozen=True)
class Sequence:
    name: str
    definition: str  # "AS bigint START 1 INCREMENT 1 MINVALUE 1 MAXVALUE … NO CYCLE"
    owned_by: str | None = None


@dataclass(frozen=True)
class TypeDef:
    name: str
    kind: str  # "enum" | "domain" | "composite" | "range"
    definition: str


@dataclass(frozen=True)
class Schema:
    dialect: str
    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    routines: tuple[Routine, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    types: tuple[TypeDef, ...] = ()
    extensions: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()  # PostgreSQL namespaces other than the current one

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def view(self, name: str) -> View | None:
        return next((v for v in self.views if v.name == name), None)

    @property
    def is_empty(self) -> bool:
        return not (self.tables or self.views or self.routines or self.sequences or self.types
                    or self.extensions or self.schemas)

    def object_names(self) -> list[str]:
        """`kind name` of every top-level object, for short messages."""
        return [item.label for item in items(self) if item.parent is None]


async def snapshot(db) -> Schema:
    """The schema of the database behind `db` (a driver), normalised. Read-only."""
    if db.dialect == "sqlite":
        from .sqlite import snapshot as read
    else:
        from .postgres import snapshot as read
    return await read(db)


# -- comparison ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One comparable object: its kind, its name, and the attributes that must match."""

    kind: str
    name: str
    attrs: tuple[tuple[str, str], ...]
    summary: str  # what it is, for messages
    parent: tuple[str, str] | None = None  # (kind, name) of the table or view it belongs to

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


def _item(kind: str, name: str, summary: str, parent: tuple[str, str] | None = None, **attrs) -> Item:
    return Item(kind, name, tuple((k, "" if v is None else str(v)) for k, v in attrs.items()), summary, parent)


def items(schema: Schema) -> list[Item]:
    """The schema flattened into comparable items, parents before children."""
    out: list[Item] = []
    for name in schema.schemas:
        out.append(_item("schema", name, name))
    for name in schema.extensions:
        out.append(_item("extension", name, name))
    for t in schema.types:
        out.append(_item("type", t.name, f"{t.kind} {t.definition}", variety=t.kind, definition=t.definition))
    for s in schema.sequences:
        out.append(_item("sequence", s.name, s.definition, definition=s.definition, owned_by=s.owned_by))
    for t in schema.tables:
        key = ("table", t.name)
        out.append(_item("table", t.name, ", ".join(t.options) or "table", options=", ".join(t.options),
                         comment=t.comment, **{"column order": _ORDER_SEP.join(c.name for c in t.columns)}))
        for c in t.columns:
            out.append(_item("column", f"{t.name}.{c.name}", c.describe(), key, type=c.type,
                             nullable="yes" if c.nullable else "no", default=c.default, generated=c.generated,
                             identity=c.identity, collation=c.collation, comment=c.comment))
        for con in t.constraints:
            out.append(_item("constraint", f"{con.key} on {t.name}", con.definition, key, definition=con.definition))
        out += _indexes_and_triggers(key, t.indexes, t.triggers)
    for v in schema.views:
        key = ("view", v.name)
        kind = "materialized view" if v.materialized else "view"
        out.append(_item("view", v.name, kind, materialized=v.materialized,
                         definition=v.definition, comment=v.comment))
        out += _indexes_and_triggers(key, v.indexes, v.triggers)
    for r in schema.routines:
        out.append(_item(r.kind, r.name, r.kind, definition=r.definition))
    return out


_ORDER_SEP = ", "


def _indexes_and_triggers(parent, indexes, triggers) -> list[Item]:
    out = []
    for i in indexes:
        if i.constraint:
            continue  # compared through its constraint
        out.append(_item("index", i.name, i.sql or i.definition, parent, definition=i.definition,
                         valid="yes" if i.valid else "NO (a failed concurrent build)"))
    for tr in triggers:
        out.append(_item("trigger", f"{tr.name} on {parent[1]}", tr.sql or tr.definition, parent,
                         definition=tr.definition,
                         enabled="yes" if tr.enabled else "no"))
    return out


@dataclass(frozen=True)
class Difference:
    change: str  # "added" (only in the actual schema) | "missing" (only in the expected one) | "changed"
    item: Item
    details: tuple[tuple[str, str, str], ...] = ()  # (attribute, expected, actual) for "changed"

    def describe(self, words: dict[str, str]) -> str:
        head = f"{words[self.change]}: {self.item.label}"
        if self.change != "changed":
            return f"{head} ({_short(self.item.summary)})" if self.item.summary and self.item.kind != "table" \
                else head
        parts = [f"{attr} {_show(old)} → {_show(new)}" for attr, old, new in self.details]
        if len(parts) == 1 and "\n" not in parts[0] and len(parts[0]) < 160:
            return f"{head}: {parts[0]}"
        return head + "".join(f"\n    {attr}:\n      expected: {_show(old)}\n      actual:   {_show(new)}"
                              for attr, old, new in self.details)


def _show(value: str) -> str:
    return " ".join(value.split()) if value else "none"


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _changes(mine: dict[str, str], theirs: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    details = []
    for k in mine:
        old, new = mine.get(k, ""), theirs.get(k, "")
        if k == "column order":
            # only the order of the columns both have: an added or missing column is reported as such
            old_names, new_names = old.split(_ORDER_SEP), new.split(_ORDER_SEP)
            old = _ORDER_SEP.join(c for c in old_names if c in new_names)
            new = _ORDER_SEP.join(c for c in new_names if c in old_names)
        if old != new:
            details.append((k, old, new))
    return tuple(details)


def diff(expected: Schema, actual: Schema) -> list[Difference]:
    """What differs from `expected` in `actual`. A missing or added table or view is one
    difference, not one more per column, index and trigger of it."""
    want = {i.key: i for i in items(expected)}
    have = {i.key: i for i in items(actual)}
    gone = {k for k in want if k not in have}
    new = {k for k in have if k not in want}
    out: list[Difference] = []
    for key, item in want.items():
        if key in gone and item.parent not in gone:
            out.append(Difference("missing", item))
        elif key in have and item.attrs != have[key].attrs:
            details = _changes(dict(item.attrs), dict(have[key].attrs))
            if details:
                out.append(Difference("changed", have[key], details))
    for key, item in have.items():
        if key in new and item.parent not in new:
            out.append(Difference("added", item))
    order = {"missing": 0, "added": 1, "changed": 2}
    return sorted(out, key=lambda d: (d.item.parent or d.item.key, d.item.parent is not None, order[d.change],
                                      d.item.key))


__all__ = ["Schema", "Table", "Column", "Constraint", "Index", "Trigger", "View", "Routine", "Sequence", "TypeDef",
           "snapshot", "diff", "items", "Difference", "Item", "journal_tables"]
