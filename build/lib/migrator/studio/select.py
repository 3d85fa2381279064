"""The SQL behind a data page: filters, search, order and the keyset, every value a bound parameter.

Identifiers come from the catalog (and are quoted); a visitor's values only ever reach the
database as parameters. Pages are read by key (keyset pagination): the next page is "the rows
after the last one's key", which an index answers at any depth; a view, which has no key, is read
with OFFSET. The ordering key is the sort column (if any) then the primary key (a table without
one: SQLite's rowid, PostgreSQL's ctid), so it is unique and every row has one place.

NULLs sort where the database puts them by default (SQLite: first, PostgreSQL: last, ascending),
so that ORDER BY stays plain and can use an index; the keyset conditions follow that order.
"""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import quote
from .columns import TRUE_WORDS, BadRequest, Col, checked
from .query import TableQuery

KEY_ALIAS = "studio key {}"  # extra columns of a page: each row's ordering key, for the cursors


@dataclass(frozen=True)
class Key:
    """One column of the ordering key."""

    expr: str  # a quoted column, or rowid / ctid
    type: str  # for PostgreSQL's casts
    kind: str
    nullable: bool
    desc: bool = False


def keys_for(dialect: str, cols: list[Col], primary_key: tuple[str, ...], *, is_table: bool,
             sort: str | None, desc: bool) -> list[Key]:
    """The ordering key of a page: the sort column, then the primary key; [] for a view (no key)."""
    by_name = {c.name: c for c in cols}
    out: list[Key] = []
    if sort is not None:
        c = by_name[sort]
        out.append(Key(quote(c.name), c.type, c.kind, c.nullable, desc))
    if not is_table:
        return []  # a view has no key: its pages are read with OFFSET
    if primary_key:
        out += [Key(quote(n), by_name[n].type, by_name[n].kind, False) for n in primary_key if n != sort]
    elif dialect == "sqlite":
        out.append(Key("rowid", "integer", "number", False))
    else:
        out.append(Key("ctid", "tid", "other", False))
    return out


def bind(dialect: str, name: str, col_type: str, kind: str | None) -> str:
    """A parameter compared with a column of this type. PostgreSQL gets text and parses it as the
    column's type on the server (asyncpg insists on Python values of the parameter's exact type).
    A visitor's text is compared as text, so a char(n) column does not truncate what is looked for;
    a key's value (kind None) is parsed as the column's own type, so that it compares in the very
    order ORDER BY uses (a citext or a name column's, say)."""
    if dialect == "sqlite":
        return f":{name}"
    if kind == "text":
        return f"CAST(:{name} AS text)"
    return f"CAST(CAST(:{name} AS text) AS {col_type})"


class Select:
    """The filters and search of one view of one table, and the SQL to page, count and export it."""

    def __init__(self, dialect: str, source: str, cols: list[Col], keys: list[Key], query: TableQuery):
        self.dialect, self.source, self.cols, self.keys, self.query = dialect, source, cols, keys, query
        self.params: dict[str, object] = {}
        self._casts: list[tuple[str, str]] = []  # (parameter, type) PostgreSQL must be able to parse
        by_name = {c.name: c for c in cols}
        conditions = [self._filter(i, by_name[f.column], f.op, f.value) for i, f in enumerate(query.filters)]
        if query.search:
            conditions.append(self._search(query.search))
        self.where = " AND ".join(conditions)

    # -- building blocks -----------------------------------------------------------------------

    def _param(self, name: str, col: Col, raw: str, what: str) -> str:
        self.params[name] = checked(col, raw, self.dialect, what)
        if self.dialect == "postgres" and col.kind != "text":
            self._casts.append((name, col.type))
        return bind(self.dialect, name, col.type, col.kind)

    def _filter(self, i: int, col: Col, op: str, raw: str) -> str:
        column = quote(col.name)
        if op == "isnull":
            return f"{column} IS {'' if raw.strip().lower() in TRUE_WORDS else 'NOT '}NULL"
        what = f"{col.name}__{op}" if op != "eq" else col.name
        if self.dialect == "postgres" and not col.sortable:
            # json, xml, geometric types: no = operator; compare their text
            self.params[f"f{i}"] = raw
            return f"CAST({column} AS text) {_SQL_OPS[op]} CAST(:f{i} AS text)"
        return f"{column} {_SQL_OPS[op]} {self._param(f'f{i}', col, raw, what)}"

    def _search(self, text: str) -> str:
        columns = [c for c in self.cols if c.kind == "text"]
        if not columns:
            raise BadRequest("q: this table has no text columns to search")
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        self.params["q"] = pattern
        if self.dialect == "sqlite":  # LIKE ignores ASCII case on SQLite
            like = [f"{quote(c.name)} LIKE :q ESCAPE '\\'" for c in columns]
        else:
            like = [f"{quote(c.name)} ILIKE CAST(:q AS text) ESCAPE '\\'" for c in columns]
        return "(" + " OR ".join(like) + ")"

    def _keyset(self, cursor: tuple, *, backwards: bool) -> tuple[str, dict, list[tuple[str, str]]]:
        """Rows after `cursor` in the key's order (before it, backwards): lexicographic, NULL-aware.
        Returns the condition, its parameters and the (parameter, type) pairs PostgreSQL parses."""
        if len(cursor) != len(self.keys):
            raise BadRequest(f"the cursor has {len(cursor)} value(s); this view's key has {len(self.keys)}")
        params: dict[str, object] = {}
        casts: list[tuple[str, str]] = []
        nulls_first = self.dialect == "sqlite"  # where NULL sorts ascending: SQLite first, PostgreSQL last
        equal: list[str] = []
        terms: list[str] = []
        for i, (key, value) in enumerate(zip(self.keys, cursor)):
            later = key.desc == backwards  # the rows wanted have a greater key, in ascending terms
            if value is None:
                step = f"{key.expr} IS NOT NULL" if nulls_first == later else None  # NULL is at that end
                same = f"{key.expr} IS NULL"
            else:
                name = f"k{i}"
                if self.dialect == "postgres":
                    if not isinstance(value, str):  # the page's links carry PostgreSQL's text of each key
                        raise BadRequest("the cursor does not come from one of this studio's page links")
                    casts.append((name, key.type))
                params[name] = value
                b = bind(self.dialect, name, key.type, None)
                step = f"{key.expr} {'>' if later else '<'} {b}"
                if key.nullable and nulls_first != later:  # the NULLs come after any value, this way
                    step = f"({step} OR {key.expr} IS NULL)"
                same = f"{key.expr} = {b}"
            if step:
                terms.append(" AND ".join(equal + [step]))
            equal.append(same)
        condition = ("(" + " OR ".join(f"({t})" for t in terms) + ")") if terms else "1 = 0"
        return condition, params, casts

    def _order(self, backwards: bool) -> str:
        return ", ".join(f"{k.expr}{' DESC' if k.desc != backwards else ''}" for k in self.keys)

    def _from_where(self, extra: str = "") -> str:
        conditions = [c for c in (self.where, extra) if c]
        return f" FROM {self.source}" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")

    # -- statements ----------------------------------------------------------------------------

    def page(self, limit: int, *, offset: int = 0, cursor: tuple | None = None,
             backwards: bool = False) -> tuple[str, dict]:
        """Up to `limit` rows in the key's order (reversed when backwards), after `cursor` or `offset`."""
        keyset, params = "", dict(self.params)
        if cursor is not None:
            keyset, more, _ = self._keyset(cursor, backwards=backwards)
            params.update(more)
        select = [quote(c.name) for c in self.cols]
        cast = "CAST({} AS text)" if self.dialect == "postgres" else "{}"
        select += [f"{cast.format(k.expr)} AS {quote(KEY_ALIAS.format(i))}" for i, k in enumerate(self.keys)]
        sql = f"SELECT {', '.join(select)}{self._from_where(keyset)}"
        if self.keys:
            sql += f" ORDER BY {self._order(backwards)}"
        elif self.query.sort:  # a view sorted by a column: no key, so no tie-break
            sql += f" ORDER BY {quote(self.query.sort)}{' DESC' if self.query.desc != backwards else ''}"
        sql += f" LIMIT {int(limit)}"
        if offset:
            sql += f" OFFSET {int(offset)}"
        return sql, params

    def count(self, cap: int | None = None) -> tuple[str, dict]:
        if cap is None:
            return f"SELECT count(*) AS n{self._from_where()}", dict(self.params)
        return f"SELECT count(*) AS n FROM (SELECT 1{self._from_where()} LIMIT {int(cap)}) AS capped", dict(self.params)

    def estimate(self) -> tuple[str, dict]:
        """PostgreSQL: the planner's row estimate (the catalog's statistics, scaled to the table's size now)."""
        return f"EXPLAIN (FORMAT JSON) SELECT 1{self._from_where()}", dict(self.params)

    def checks(self, cursor: tuple | None = None) -> tuple[str, dict] | None:
        """PostgreSQL: parse every value (and the cursor's) as its column's type, so that a bad one is
        the visitor's 400 and not a failure of the page's query. None when there is nothing to parse."""
        casts, params = list(self._casts), dict(self.params)
        if cursor is not None and self.keys:
            _, more, cursor_casts = self._keyset(cursor, backwards=False)
            casts += cursor_casts
            params.update(more)
        if not casts:
            return None
        exprs = [f"CAST(CAST(:{name} AS text) AS {t}) IS NULL AS {quote(name)}" for name, t in casts]
        return f"SELECT {', '.join(exprs)}", {name: params[name] for name, _ in casts}


_SQL_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
