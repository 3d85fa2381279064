"""Dropping every object of a development database, for `reset`, from the database's own catalog.

SQLite: every table, view and trigger (indexes go with their tables).
PostgreSQL: every object in the schemas of the connection's search path (tables, views,
sequences, routines, types, extensions), the runner's journal included.
"""
from __future__ import annotations

import os

from .drivers import Sql
from .errors import ConfigError
from .steps import Part, run_step
from .url import DatabaseURL


def check_reset_allowed(url: DatabaseURL, *, force: bool) -> None:
    """`reset` is for development databases: raise ConfigError where it must refuse."""
    if os.environ.get("RUNNER_ENV", "").lower() == "production":
        raise ConfigError("reset refuses: RUNNER_ENV=production, and reset drops every object in the "
                          "database; unset RUNNER_ENV on a development machine")
    if not url.is_local and not force:
        raise ConfigError(f"reset refuses to drop everything in {url.display}: it is not a local database "
                          "(SQLite or a PostgreSQL server on localhost); add --force if you really mean it")

# (kind, name, DROP statement) for each object to drop, in an order that needs no CASCADE luck.
SQLITE_OBJECTS = """
SELECT type AS kind, name, 'DROP ' || upper(type) || ' IF EXISTS "' || replace(name, '"', '""') || '"' AS statement
FROM sqlite_master
WHERE type IN ('view', 'trigger', 'table') AND name NOT LIKE 'sqlite_%'
ORDER BY CASE type WHEN 'view' THEN 0 WHEN 'trigger' THEN 1 ELSE 2 END, name
"""

# Objects that belong to an extension are dropped with their extension, not one by one.
POSTGRES_OBJECTS = """
WITH schemas AS (SELECT unnest(current_schemas(false)) AS nspname),
ext_members AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
SELECT kind, name, statement FROM (
    SELECT 0 AS step, CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END AS kind,
           format('%I.%I', n.nspname, c.relname) AS name,
           format('DROP %s IF EXISTS %I.%I CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                  n.nspname, c.relname) AS statement
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN schemas USING (nspname)
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.oid NOT IN (SELECT objid FROM ext_members)
      AND NOT c.relispartition
    UNION ALL
    SELECT 1, 'sequence', format('%I.%I', n.nspname, c.relname),
           format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN schemas USING (nspname)
    WHERE c.relkind = 'S' AND c.oid NOT IN (SELECT objid FROM ext_members)
    UNION ALL
    SELECT 2, CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
           format('DROP %s IF EXISTS %I.%I(%s) CASCADE',
                  CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                  n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN schemas USING (nspname)
    WHERE p.oid NOT IN (SELECT objid FROM ext_members)
    UNION ALL
    SELECT 3, CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, format('%I.%I', n.nspname, t.typname),
           format('DROP %s IF EXISTS %I.%I CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                  n.nspname, t.typname)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN schemas USING (nspname)
    WHERE t.typtype IN ('e', 'd', 'r', 'c') AND t.oid NOT IN (SELECT objid FROM ext_members)
      AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
    UNION ALL
    SELECT 4, 'extension', format('%I', e.extname), format('DROP EXTENSION IF EXISTS %I CASCADE', e.extname)
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace JOIN schemas USING (nspname)
) objects
ORDER BY step, name
"""


async def drop_everything(db, lock: list[Sql]) -> list[str]:
    """Drop every object, in one transaction; returns what was dropped, as "table users"."""
    objects = await db.fetch(SQLITE_OBJECTS if db.dialect == "sqlite" else POSTGRES_OBJECTS)
    drops = [Sql(o["statement"]) for o in objects]
    if db.dialect == "sqlite" and await db.fetch("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
        drops.append(Sql("DELETE FROM sqlite_sequence"))  # AUTOINCREMENT counters
    await run_step(db, lock, None, [Part(None, "(reset)", record=tuple(drops))])
    return [f"{o['kind']} {o['name']}" for o in objects]
