"""The foreign-key check before a SQLite step commits, limited to what the step can have broken.

Foreign keys are not enforced while a migration runs (the table-recreation strategy needs that),
so every step is checked before COMMIT. `PRAGMA foreign_key_check` without a table reads every
row of every table that has a foreign key: on a large database that is a scan of most of the
data after each migration. A step can only break a foreign key of a table it wrote to (rows,
or the table itself created, dropped or altered) or of a table that references one it wrote to,
so only those tables are checked. SQLite's authorizer names every table a statement writes,
triggers included, as the statement is prepared.

And where the schema holds no foreign key at all (and the step adds none: no `REFERENCES` in its
text), there is nothing to check. Whether the schema holds one is known per schema version, so
it is looked up once per run, not once per step.

Runs on the connection's own thread (see SqliteDriver._run_unit): plain sqlite3 calls.
"""
from __future__ import annotations

import sqlite3

# Authorizer actions that write a table: (action, which argument names the table)
_WRITES = {
    sqlite3.SQLITE_INSERT: 0, sqlite3.SQLITE_UPDATE: 0, sqlite3.SQLITE_DELETE: 0,
    sqlite3.SQLITE_CREATE_TABLE: 0, sqlite3.SQLITE_DROP_TABLE: 0, sqlite3.SQLITE_ALTER_TABLE: 1,
}

_ANY_FOREIGN_KEY = ("SELECT EXISTS (SELECT 1 FROM sqlite_master m, pragma_foreign_key_list(m.name) "
                    "WHERE m.type = 'table')")
_FOREIGN_KEYS = ("SELECT m.name AS child, f.\"table\" AS parent FROM sqlite_master m, "
                 "pragma_foreign_key_list(m.name) f WHERE m.type = 'table'")


class ForeignKeyCheck:
    """One per connection: what a unit's scripts wrote, and the check of just that before it ends."""

    def __init__(self):
        self._known: tuple[int, bool] | None = None  # (schema_version, the schema has a foreign key)
        self._after_unit: tuple[int, bool] | None = None  # the same, once the unit is done
        self._had_foreign_keys = True
        self._adds_foreign_keys = False
        self._written: set[str] = set()

    def begin(self, conn: sqlite3.Connection) -> None:
        """Inside the unit's transaction, before anything runs: whether the schema has a foreign key."""
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if self._known and self._known[0] == version:
            self._had_foreign_keys = self._known[1]
        else:
            self._had_foreign_keys = bool(conn.execute(_ANY_FOREIGN_KEY).fetchone()[0])
        self._adds_foreign_keys = False
        self._written = set()

    def watch(self, conn: sqlite3.Connection, script: str) -> None:
        """Before a script: note what it writes."""
        self._adds_foreign_keys = self._adds_foreign_keys or "references" in script.lower()
        # Setting an authorizer expires every prepared statement, so each statement of the
        # script is prepared (and seen) afresh, even one the statement cache holds already.
        conn.set_authorizer(self._watch)

    def _watch(self, action: int, arg1, arg2, database, trigger) -> int:
        where = _WRITES.get(action)
        if where is not None:
            name = (arg1, arg2)[where]
            if name and not name.lower().startswith("sqlite_"):
                self._written.add(name.lower())
        return sqlite3.SQLITE_OK

    def unwatch(self, conn: sqlite3.Connection) -> None:
        """After the script: the runner's own journal writes are not watched."""
        conn.set_authorizer(None)

    def violations(self, conn: sqlite3.Connection) -> list[dict]:
        """The foreign-key violations the unit's scripts can have caused, before it ends."""
        has_foreign_keys = self._had_foreign_keys or self._adds_foreign_keys
        # read inside the transaction: COMMIT does not change it, and no other lock is needed
        self._after_unit = (conn.execute("PRAGMA schema_version").fetchone()[0], has_foreign_keys)
        if not has_foreign_keys or not self._written:
            return []
        tables = {row[0].lower(): row[0] for row in
                  conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        suspects = {name for name in self._written if name in tables}
        suspects |= {child.lower() for child, parent in conn.execute(_FOREIGN_KEYS)
                     if parent.lower() in self._written}
        found: list[dict] = []
        for name in sorted(suspects):
            quoted = '"' + tables[name].replace('"', '""') + '"'
            found += [dict(zip(("table", "rowid", "parent", "fkid"), row))
                      for row in conn.execute(f"PRAGMA foreign_key_check({quoted})")]
        return found

    def unit_done(self) -> None:
        """The unit succeeded: remember whether the schema at its version has a foreign key."""
        if self._after_unit is not None:
            self._known = self._after_unit
        self._after_unit = None
