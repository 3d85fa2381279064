"""SQLite's schema from `sqlite_master` and the table-valued pragmas.

Columns, foreign keys, indexes and UNIQUE / PRIMARY KEY constraints come from the pragmas.
What SQLite keeps only in the stored CREATE TABLE text (CHECK constraints, column collations,
generated-column expressions, STRICT / WITHOUT ROWID / AUTOINCREMENT) is read from its tokens.
Texts are compared token-normalised, so a rollback that recreates a table with other
whitespace, quoting or keyword case is not reported as a change.
"""
from __future__ import annotations

from ..sqltokens import Token, normalise, group_end, split_top_level, tokenize
from . import Column, Constraint, Index, Schema, Table, Trigger, View, journal_tables

_OBJECTS = """
SELECT type, name, tbl_name, sql FROM sqlite_master
WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL
ORDER BY name
"""


async def snapshot(db) -> Schema:
    rows = [r for r in await db.fetch(_OBJECTS) if r["tbl_name"] not in journal_tables("sqlite")]
    triggers: dict[str, list[Trigger]] = {}
    index_sql: dict[str, str] = {}
    for r in rows:
        if r["type"] == "trigger":
            triggers.setdefault(r["tbl_name"], []).append(
                Trigger(r["name"], normalise(r["sql"]), sql=r["sql"]))
        elif r["type"] == "index":
            index_sql[r["name"]] = r["sql"]
    tables, views = [], []
    for r in rows:
        if r["type"] == "table":
            tables.append(await _table(db, r["name"], r["sql"], index_sql, tuple(triggers.get(r["name"], ()))))
        elif r["type"] == "view":
            views.append(View(r["name"], normalise(r["sql"]),
                              columns=await _columns(db, r["name"], {}), triggers=tuple(triggers.get(r["name"], ())),
                              sql=r["sql"]))
    return Schema("sqlite", tables=tuple(tables), views=tuple(views))


async def _columns(db, table: str, parsed: dict[str, dict]) -> tuple[Column, ...]:
    cols = []
    for c in await db.fetch("SELECT * FROM pragma_table_xinfo(:t) ORDER BY cid", {"t": table}):
        if c["hidden"] == 1:  # a virtual table's hidden column
            continue
        extra = parsed.get(c["name"].lower(), {})
        generated = extra.get("generated")
        cols.append(Column(
            name=c["name"],
            type=normalise(c["type"]).upper() if c["type"] else "",
            nullable=not c["notnull"],
            default=normalise(c["dflt_value"]) if c["dflt_value"] is not None else None,
            generated=generated,
            collation=extra.get("collation"),
        ))
    return tuple(cols)


async def _table(db, name: str, sql: str, index_sql: dict[str, str], triggers: tuple[Trigger, ...]) -> Table:
    parsed = _parse_create_table(sql)
    columns = await _columns(db, name, parsed["columns"])
    constraints: list[Constraint] = []

    pk = [c for c in await db.fetch("SELECT name, pk FROM pragma_table_xinfo(:t) WHERE pk > 0 ORDER BY pk",
                                    {"t": name})]
    if pk:
        cols = tuple(c["name"] for c in pk)
        constraints.append(Constraint("primary key", f"PRIMARY KEY ({', '.join(cols)})", columns=cols))

    indexes: list[Index] = []
    for ix in await db.fetch("SELECT name, [unique], origin, partial FROM pragma_index_list(:t)", {"t": name}):
        info = await db.fetch("SELECT name FROM pragma_index_info(:i) ORDER BY seqno", {"i": ix["name"]})
        cols = tuple(i["name"] if i["name"] is not None else "(expression)" for i in info)
        if ix["origin"] == "c":
            text = index_sql.get(ix["name"], "")
            indexes.append(Index(ix["name"], normalise(text), unique=bool(ix["unique"]), columns=cols, sql=text))
            continue
        if ix["origin"] == "u":
            definition = f"UNIQUE ({', '.join(cols)})"
            constraints.append(Constraint("unique", definition, columns=cols))
        else:
            definition = f"PRIMARY KEY ({', '.join(cols)})"
        indexes.append(Index(ix["name"], definition, unique=True, columns=cols, constraint=definition))

    fks: dict[int, list[dict]] = {}
    for fk in await db.fetch("SELECT * FROM pragma_foreign_key_list(:t) ORDER BY id, seq", {"t": name}):
        fks.setdefault(fk["id"], []).append(fk)
    for parts in fks.values():
        first = parts[0]
        cols = tuple(p["from"] for p in parts)
        targets = [p["to"] for p in parts if p["to"] is not None]
        ref = f"{first['table']}({', '.join(targets)})" if targets else first["table"]
        definition = f"FOREIGN KEY ({', '.join(cols)}) REFERENCES {ref}"
        for action in ("on_update", "on_delete"):
            if first[action] and first[action] != "NO ACTION":
                definition += f" {action.replace('_', ' ').upper()} {first[action]}"
        if first["match"] and first["match"] != "NONE":
            definition += f" MATCH {first['match']}"
        if parsed["deferrable"].get(cols):
            definition += f" {parsed['deferrable'][cols]}"
        constraints.append(Constraint("foreign key", definition, columns=cols, references=first["table"]))

    for check_name, expr in parsed["checks"]:
        constraints.append(Constraint("check", f"CHECK ({expr})", name=check_name))

    return Table(name, columns, constraints=tuple(sorted(constraints, key=_constraint_order)),
                 indexes=tuple(sorted(indexes, key=lambda i: i.name)), triggers=triggers,
                 options=parsed["options"], sql=sql)


def _constraint_order(c: Constraint) -> tuple:
    return (["primary key", "unique", "foreign key", "check"].index(c.kind), c.key)


def _parse_create_table(sql: str) -> dict:
    """What only the CREATE TABLE text says: per-column collation and generated expression,
    CHECK constraints (named or not), deferrable foreign keys and the table options."""
    tokens = tokenize(sql)
    result: dict = {"columns": {}, "checks": [], "options": (), "deferrable": {}}
    words = [t.upper for t in tokens]
    options = []
    if words[:3] == ["CREATE", "VIRTUAL", "TABLE"]:
        using = words.index("USING") if "USING" in words else len(tokens)
        result["options"] = (f"VIRTUAL USING {normalise(tokens[using + 1:])}",)
        return result
    if "AUTOINCREMENT" in words:
        options.append("AUTOINCREMENT")
    open_at = next((i for i, t in enumerate(tokens) if t.text == "("), None)
    if open_at is None or "AS" in words[:open_at]:  # CREATE TABLE … AS SELECT
        result["options"] = tuple(options)
        return result
    close_at = group_end(tokens, open_at)
    tail = words[close_at:]
    if "WITHOUT" in tail:
        options.append("WITHOUT ROWID")
    if "STRICT" in tail:
        options.append("STRICT")
    result["options"] = tuple(options)
    for part in split_top_level(tokens[open_at + 1:close_at - 1]):
        head = part[0].upper
        if head in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            _table_constraint(part, result)
        else:
            _column_definition(part, result)
    return result


def _checks_in(part: list[Token], result: dict) -> None:
    for i, t in enumerate(part):
        if t.upper == "CHECK" and i + 1 < len(part) and part[i + 1].text == "(":
            end = group_end(part, i + 1)
            name = part[i - 1].ident if i >= 2 and part[i - 2].upper == "CONSTRAINT" else None
            result["checks"].append((name, normalise(part[i + 2:end - 1])))


def _table_constraint(part: list[Token], result: dict) -> None:
    _checks_in(part, result)
    words = [t.upper for t in part]
    if "FOREIGN" in words and "DEFERRABLE" in words:
        open_at = words.index("FOREIGN") + 2
        cols = tuple(t.ident for t in part[open_at + 1:group_end(part, open_at) - 1] if t.text != ",")
        result["deferrable"][cols] = _deferrable(part)


def _column_definition(part: list[Token], result: dict) -> None:
    name = part[0].ident
    info: dict = {}
    words = [t.upper for t in part]
    for i, w in enumerate(words):
        if w == "COLLATE" and i + 1 < len(part):
            info["collation"] = part[i + 1].ident.upper()
        if w == "AS" and i + 1 < len(part) and part[i + 1].text == "(":
            end = group_end(part, i + 1)
            kind = "STORED" if end < len(words) and words[end] == "STORED" else "VIRTUAL"
            info["generated"] = f"({normalise(part[i + 2:end - 1])}) {kind}"
    if "REFERENCES" in words and "DEFERRABLE" in words:
        result["deferrable"][(name,)] = _deferrable(part)
    _checks_in(part, result)
    result["columns"][name.lower()] = info


def _deferrable(part: list[Token]) -> str:
    """`[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]`, which the pragmas do not report."""
    words = [t.upper for t in part]
    at = words.index("DEFERRABLE")
    text = "NOT DEFERRABLE" if at > 0 and words[at - 1] == "NOT" else "DEFERRABLE"
    if words[at + 1:at + 2] == ["INITIALLY"] and at + 2 < len(words):
        text += f" INITIALLY {words[at + 2]}"
    return text
