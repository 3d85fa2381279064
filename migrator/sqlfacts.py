"""What a migration file does to the schema, statement by statement, without running it.

`facts(sql, dialect)` reads each statement's shape (CREATE / DROP / ALTER TABLE / RENAME /
PRAGMA) and returns one `Fact` per effect, with its line. Enough for `lint` to tell which
objects an up file creates and whether its rollback drops them; not a SQL parser.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import StatementError
from .split import Statement, line_of, split_postgres, split_sqlite
from .sqltokens import Token, group_end, split_top_level, tokenize

KINDS = {"TABLE", "INDEX", "VIEW", "TRIGGER", "FUNCTION", "PROCEDURE", "TYPE", "DOMAIN", "SEQUENCE", "SCHEMA",
         "EXTENSION", "POLICY"}
_CREATE_MODIFIERS = {"OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE", "GLOBAL", "LOCAL", "VIRTUAL",
                     "CONSTRAINT", "RECURSIVE", "TRUSTED", "PROCEDURAL"}


@dataclass(frozen=True)
class Fact:
    action: str  # create | drop | rename | add column | drop column | rename column | add constraint
    #              | drop constraint | pragma
    kind: str  # table, index, view, materialized view, trigger, function, type, …; "column", "constraint"
    name: str | None  # unqualified, case-folded; None for an unnamed index or constraint
    line: int
    table: str | None = None  # the table an index, trigger, column or constraint belongs to
    schema: str | None = None  # the schema the name was qualified with
    new_name: str | None = None  # rename: the name after it
    or_replace: bool = False
    cascade: bool = False
    refs: frozenset[str] = frozenset()  # identifiers the statement mentions (index columns, trigger function)


def statements(sql: str, dialect: str) -> list[Statement]:
    """The file's statements by the dialect's own rules; a PostgreSQL file that does not parse is
    split on semicolons between tokens (squawk reports the syntax error itself)."""
    if dialect == "sqlite":
        return split_sqlite(sql)
    try:
        return split_postgres(sql)
    except StatementError:
        return _split_on_semicolons(sql)


def _split_on_semicolons(sql: str) -> list[Statement]:
    out, start = [], None
    for t in tokenize(sql):
        if start is None:
            start = t.offset
        if t.text == ";":
            out.append(Statement(start, sql[start:t.offset + 1]))
            start = None
    if start is not None:
        out.append(Statement(start, sql[start:]))
    return out


def facts(sql: str, dialect: str) -> list[Fact]:
    found: list[Fact] = []
    for statement in statements(sql, dialect):
        tokens = tokenize(statement.sql, statement.offset)
        if tokens:
            found += _facts_of(tokens, sql)
    return found


def indexes_created(sql: str, dialect: str) -> set[str]:
    """The names of the indexes the SQL creates (what an unfinished CREATE INDEX CONCURRENTLY can leave invalid)."""
    return {f.name for f in facts(sql, dialect) if f.action == "create" and f.kind == "index"}


class _Reader:
    """A cursor over one statement's tokens."""

    def __init__(self, tokens: list[Token], sql: str):
        self.t, self.i, self.sql = tokens, 0, sql

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.t[j].upper if j < len(self.t) else ""

    def at(self, *words: str) -> bool:
        return all(self.peek(k) == w for k, w in enumerate(words))

    def take(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def done(self) -> bool:
        return self.i >= len(self.t)

    def line(self, index: int | None = None) -> int:
        tok = self.t[min(self.i if index is None else index, len(self.t) - 1)]
        return line_of(self.sql, tok.offset) or 1

    def name(self) -> tuple[str | None, str | None]:
        """A possibly qualified name: (schema, name), both case-folded."""
        if self.done() or self.t[self.i].kind not in ("word", "name"):
            return None, None
        parts = [self.t[self.i].ident]
        self.i += 1
        while self.i + 1 < len(self.t) and self.t[self.i].text == "." and self.t[self.i + 1].kind in ("word", "name"):
            parts.append(self.t[self.i + 1].ident)
            self.i += 2
        return (parts[-2] if len(parts) > 1 else None), parts[-1]

    def skip_parens(self) -> list[Token]:
        if not self.done() and self.t[self.i].text == "(":
            end = group_end(self.t, self.i)
            inside = self.t[self.i + 1:end - 1]
            self.i = end
            return inside
        return []


def _idents(tokens: list[Token]) -> frozenset[str]:
    return frozenset(t.ident for t in tokens if t.kind in ("word", "name"))


def _facts_of(tokens: list[Token], sql: str) -> list[Fact]:
    r = _Reader(tokens, sql)
    if r.take("CREATE"):
        return _create(r)
    if r.take("DROP"):
        return _drop(r)
    if r.take("ALTER", "TABLE"):
        return _alter_table(r)
    if r.at("ALTER") and (r.peek(1) in KINDS or r.peek(1) == "MATERIALIZED"):
        r.i += 1
        if r.take("MATERIALIZED", "VIEW"):
            kind = "materialized view"
        else:
            kind = r.peek().lower()
            r.i += 1
        r.take("IF", "EXISTS")
        schema, name = r.name()
        r.skip_parens()
        if r.take("RENAME", "TO"):
            _, new = r.name()
            return [Fact("rename", kind, name, r.line(0), schema=schema, new_name=new)]
        return []
    if r.take("PRAGMA"):
        _, name = r.name()
        return [Fact("pragma", "pragma", name, r.line(0))]
    return []


def _create(r: _Reader) -> list[Fact]:
    or_replace = r.at("OR", "REPLACE")
    while r.peek() in _CREATE_MODIFIERS:
        r.i += 1
    if r.take("MATERIALIZED", "VIEW"):
        kind = "materialized view"
    elif r.peek() in KINDS:
        kind = r.peek().lower()
        r.i += 1
    else:
        return []
    r.take("CONCURRENTLY")
    r.take("IF", "NOT", "EXISTS")
    line = r.line(0)
    if kind == "index":
        schema, name = (None, None) if r.at("ON") else r.name()
        r.take("ON")
        r.take("ONLY")
        _, table = r.name()
        while not r.done() and r.t[r.i].text != "(":
            r.i += 1  # USING method
        return [Fact("create", "index", name, line, table=table, schema=schema, refs=_idents(r.skip_parens()))]
    schema, name = r.name()
    if kind in ("trigger", "policy"):
        while not r.done() and not r.at("ON"):
            r.i += 1
        r.take("ON")
        _, table = r.name()
        called = set()
        while not r.done():
            if r.take("EXECUTE") and r.peek() in ("FUNCTION", "PROCEDURE"):
                r.i += 1
                called.add(r.name()[1])
            else:
                r.i += 1
        return [Fact("create", kind, name, line, table=table, schema=schema, refs=frozenset(called - {None}))]
    if kind == "sequence":
        rest = [t.upper for t in r.t[r.i:]]
        if "OWNED" in rest:
            at = r.i + rest.index("OWNED") + 2
            r.i = at
            owner_schema, owner = r.name()
            table = owner if owner_schema is None else owner_schema  # OWNED BY table.column
            return [Fact("create", kind, name, line, table=table, schema=schema)]
    refs = _idents(r.t[r.i:]) if kind in ("view", "materialized view") else frozenset()
    return [Fact("create", kind, name, line, schema=schema, or_replace=or_replace, refs=refs)]


def _drop(r: _Reader) -> list[Fact]:
    if r.take("MATERIALIZED", "VIEW"):
        kind = "materialized view"
    elif r.peek() in KINDS:
        kind = r.peek().lower()
        r.i += 1
    else:
        return []
    line = r.line(0)
    r.take("CONCURRENTLY")
    r.take("IF", "EXISTS")
    cascade = "CASCADE" in {t.upper for t in r.t}
    out = []
    while not r.done():
        schema, name = r.name()
        if name is None:
            break
        r.skip_parens()  # DROP FUNCTION f(integer)
        table = None
        if r.take("ON"):
            _, table = r.name()
        out.append(Fact("drop", kind, name, line, table=table, schema=schema, cascade=cascade))
        if r.done() or r.t[r.i].text != ",":
            break
        r.i += 1
    return out


def _alter_table(r: _Reader) -> list[Fact]:
    r.take("IF", "EXISTS")
    r.take("ONLY")
    schema, table = r.name()
    out = []
    for action in split_top_level(r.t[r.i:]):
        a = _Reader(action, r.sql)
        line = a.line(0)
        if a.take("ADD"):
            if a.take("CONSTRAINT"):
                _, name = a.name()
                out.append(Fact("add constraint", "constraint", name, line, table=table, schema=schema))
            elif a.peek() in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"):
                out.append(Fact("add constraint", "constraint", None, line, table=table, schema=schema))
            else:
                a.take("COLUMN")
                a.take("IF", "NOT", "EXISTS")
                _, column = a.name()
                out.append(Fact("add column", "column", column, line, table=table, schema=schema))
        elif a.take("DROP"):
            if a.take("CONSTRAINT"):
                a.take("IF", "EXISTS")
                _, name = a.name()
                out.append(Fact("drop constraint", "constraint", name, line, table=table, schema=schema))
            else:
                a.take("COLUMN")
                a.take("IF", "EXISTS")
                _, column = a.name()
                out.append(Fact("drop column", "column", column, line, table=table, schema=schema))
        elif a.take("RENAME"):
            if a.take("TO"):
                _, new = a.name()
                out.append(Fact("rename", "table", table, line, schema=schema, new_name=new))
            elif a.take("CONSTRAINT"):
                _, old = a.name()
                a.take("TO")
                _, new = a.name()
                out.append(Fact("rename", "constraint", old, line, table=table, new_name=new))
            else:
                a.take("COLUMN")
                _, old = a.name()
                a.take("TO")
                _, new = a.name()
                out.append(Fact("rename column", "column", old, line, table=table, new_name=new))
    return out
