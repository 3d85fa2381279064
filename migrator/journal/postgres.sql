-- The runner's bookkeeping on PostgreSQL. Each block is one named query, run by migrator/journal/__init__.py;
-- parameters are :named (converted to $n for asyncpg, %(name)s for psycopg).
-- The tables live in the connection's current schema (the first of search_path).
-- Journal format 2 (schema_journal_meta.format); `upgrade_1` brings a format-1 journal (runner 0.1.0) to it.

-- name: create
CREATE TABLE IF NOT EXISTS schema_journal (
    version           bigint      PRIMARY KEY,
    name              text        NOT NULL,
    checksum          text        NOT NULL,
    rollback_checksum text,
    rollback_sql      text,
    applied_at        timestamptz NOT NULL DEFAULT now(),
    applied_by        text        NOT NULL,
    duration_ms       integer     NOT NULL,
    runner_version    text        NOT NULL,
    failed            boolean     NOT NULL DEFAULT false,
    applied_sql       text,  -- the up file as applied (NULL when larger than the runner keeps)
    out_of_order      boolean     NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS schema_journal_events (
    id             bigserial   PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    action         text        NOT NULL,
    version        bigint,
    name           text,
    checksum       text,
    duration_ms    integer,
    success        boolean     NOT NULL,
    actor          text        NOT NULL,
    runner_version text        NOT NULL,
    message        text
);
CREATE TABLE IF NOT EXISTS schema_journal_repeatable (
    name           text        PRIMARY KEY,
    checksum       text        NOT NULL,
    applied_at     timestamptz NOT NULL DEFAULT now(),
    applied_by     text        NOT NULL,
    duration_ms    integer     NOT NULL,
    runner_version text        NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_journal_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO schema_journal_meta (key, value) VALUES ('format', '2') ON CONFLICT (key) DO NOTHING;

-- name: upgrade_1
-- From format 1 (runner 0.1.0): the applied SQL and the out-of-order mark; `create` adds the meta table.
ALTER TABLE schema_journal ADD COLUMN applied_sql text;
ALTER TABLE schema_journal ADD COLUMN out_of_order boolean NOT NULL DEFAULT false;

-- name: upgraded
-- A row once the journal has format 2's columns (another runner upgraded it meanwhile).
SELECT 1 AS done FROM pg_catalog.pg_attribute
WHERE attrelid = (current_schema() || '.schema_journal')::regclass AND attname = 'applied_sql' AND NOT attisdropped;

-- name: exists
-- n: the journal proper; tables: how many of the runner's four tables exist; meta: its format is recorded
SELECT count(CASE WHEN c.relname = 'schema_journal' THEN 1 END) AS n, count(*) AS tables,
       count(CASE WHEN c.relname = 'schema_journal_meta' THEN 1 END) AS meta
FROM pg_catalog.pg_class c
WHERE c.relname IN ('schema_journal', 'schema_journal_events', 'schema_journal_repeatable', 'schema_journal_meta')
  AND c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace;

-- name: format
SELECT value::integer AS format FROM schema_journal_meta WHERE key = 'format';

-- name: applied
SELECT version, name, checksum, rollback_sql, rollback_checksum,
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at,
       applied_by, duration_ms, failed, applied_sql, out_of_order
FROM schema_journal ORDER BY version;

-- name: applied_without_texts
-- What status and verify compare; the texts of the few edited migrations are read by applied_texts.
SELECT version, name, checksum, NULL::text AS rollback_sql, rollback_checksum,
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at,
       applied_by, duration_ms, failed, NULL::text AS applied_sql, out_of_order
FROM schema_journal ORDER BY version;

-- name: applied_texts
SELECT applied_sql, rollback_sql FROM schema_journal WHERE version = :version;

-- name: applied_format_1
SELECT version, name, checksum, rollback_sql, rollback_checksum,
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at,
       applied_by, duration_ms, failed, NULL::text AS applied_sql, false AS out_of_order
FROM schema_journal ORDER BY version;

-- name: up_done
-- Re-read under the lock before a migration runs: a row means another runner applied it meanwhile.
SELECT 1 AS done FROM schema_journal WHERE version = :version;

-- name: down_done
-- Re-read under the lock before a rollback runs: a row means another runner rolled it back meanwhile.
SELECT 1 AS done WHERE NOT EXISTS (SELECT 1 FROM schema_journal WHERE version = :version);

-- name: record
INSERT INTO schema_journal (version, name, checksum, rollback_checksum, rollback_sql, applied_by, duration_ms,
                            runner_version, failed, applied_sql, out_of_order)
VALUES (:version, :name, :checksum, :rollback_checksum, :rollback_sql, :actor, :duration_ms, :runner_version,
        :failed, :applied_sql, :out_of_order);

-- name: mark_done
UPDATE schema_journal SET failed = false, duration_ms = :duration_ms WHERE version = :version;

-- name: remove
DELETE FROM schema_journal WHERE version = :version;

-- name: update_checksums
UPDATE schema_journal
SET checksum = :checksum, rollback_checksum = :rollback_checksum, rollback_sql = :rollback_sql,
    applied_sql = :applied_sql
WHERE version = :version;

-- name: event
INSERT INTO schema_journal_events (action, version, name, checksum, duration_ms, success, actor, runner_version,
                                   message)
VALUES (:action, :version, :name, :checksum, :duration_ms, :success, :actor, :runner_version, :message);

-- name: events
SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, action,
       version, name, checksum, duration_ms, success, actor, message
FROM schema_journal_events ORDER BY id DESC LIMIT :limit;

-- name: seed_params
CREATE TEMP TABLE runner_seed (scale integer NOT NULL) ON COMMIT DROP;
INSERT INTO runner_seed (scale) VALUES (:scale);

-- name: lock
-- The runner's lock, taken first in every transaction that writes; it ends with the transaction,
-- so nothing is left held behind a connection pooler.
SELECT pg_advisory_xact_lock(hashtextextended(current_database() || '.' || current_schema() || '.schema_journal', 0));

-- name: mark_failed
UPDATE schema_journal SET failed = true WHERE version = :version;

-- name: repeatables
SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at
FROM schema_journal_repeatable ORDER BY name;

-- name: repeatable_done
-- Re-read under the lock before a repeatable runs: a row means this text of it has run already.
SELECT 1 AS done FROM schema_journal_repeatable WHERE name = :name AND checksum = :checksum;

-- name: record_repeatable
INSERT INTO schema_journal_repeatable (name, checksum, applied_by, duration_ms, runner_version)
VALUES (:name, :checksum, :actor, :duration_ms, :runner_version)
ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now(),
    applied_by = excluded.applied_by, duration_ms = excluded.duration_ms, runner_version = excluded.runner_version;

-- name: forget_repeatables
DELETE FROM schema_journal_repeatable;

-- name: lock_holders
-- Who holds the runner's lock (a LockTimeout names them).
SELECT a.pid, a.usename AS "user", a.application_name AS application, a.state,
       to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS query_start
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND a.pid <> pg_backend_pid()
  AND ((l.classid::bigint << 32) | l.objid::bigint)
      = hashtextextended(current_database() || '.' || current_schema() || '.schema_journal', 0);

-- name: table_lock_holders
-- Who holds locks on the tables a migration that timed out waiting for a lock touches.
SELECT l.relation::regclass::text AS relation, a.pid, a.usename AS "user", a.application_name AS application,
       a.state, to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS query_start
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.locktype = 'relation' AND a.pid <> pg_backend_pid()
  AND l.relation IN (SELECT to_regclass(name) FROM unnest(CAST(:tables AS text[])) AS name)
ORDER BY l.relation::regclass::text, a.pid;

-- name: invalid_indexes
-- Indexes a CREATE INDEX CONCURRENTLY left behind when it did not finish: they cost writes and serve no query.
SELECT c.relname AS "index", t.relname AS "table"
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE NOT i.indisvalid AND c.relnamespace = ANY (SELECT oid FROM pg_catalog.pg_namespace
                                                 WHERE nspname = ANY (current_schemas(false)))
ORDER BY 1;
