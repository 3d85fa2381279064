-- The runner's bookkeeping on SQLite. Each block is one named query, run by migrator/journal/__init__.py;
-- parameters are :named. Blocks may hold several statements, run in order.
-- Journal format 2 (schema_journal_meta.format); `upgrade_1` brings a format-1 journal (runner 0.1.0) to it.

-- name: create
CREATE TABLE IF NOT EXISTS schema_journal (
    version           INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    checksum          TEXT    NOT NULL,
    rollback_checksum TEXT,
    rollback_sql      TEXT,
    applied_at        TEXT    NOT NULL,  -- ISO-8601 UTC
    applied_by        TEXT    NOT NULL,
    duration_ms       INTEGER NOT NULL,
    runner_version    TEXT    NOT NULL,
    failed            INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
    applied_sql       TEXT,  -- the up file as applied (NULL when larger than the runner keeps)
    out_of_order      INTEGER NOT NULL DEFAULT 0 CHECK (out_of_order IN (0, 1))
);
CREATE TABLE IF NOT EXISTS schema_journal_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at    TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    version        INTEGER,
    name           TEXT,
    checksum       TEXT,
    duration_ms    INTEGER,
    success        INTEGER NOT NULL CHECK (success IN (0, 1)),
    actor          TEXT    NOT NULL,
    runner_version TEXT    NOT NULL,
    message        TEXT
);
CREATE TABLE IF NOT EXISTS schema_journal_repeatable (
    name           TEXT    PRIMARY KEY,
    checksum       TEXT    NOT NULL,
    applied_at     TEXT    NOT NULL,
    applied_by     TEXT    NOT NULL,
    duration_ms    INTEGER NOT NULL,
    runner_version TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_journal_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO schema_journal_meta (key, value) VALUES ('format', '2');

-- name: upgrade_1
-- From format 1 (runner 0.1.0): the applied SQL and the out-of-order mark; `create` adds the meta table.
ALTER TABLE schema_journal ADD COLUMN applied_sql TEXT;
ALTER TABLE schema_journal ADD COLUMN out_of_order INTEGER NOT NULL DEFAULT 0 CHECK (out_of_order IN (0, 1));

-- name: upgraded
-- A row once the journal has format 2's columns (another runner upgraded it meanwhile).
SELECT 1 AS done FROM pragma_table_info('schema_journal') WHERE name = 'applied_sql';

-- name: exists
-- n: the journal proper; tables: how many of the runner's four tables exist; meta: its format is recorded
SELECT count(CASE WHEN name = 'schema_journal' THEN 1 END) AS n, count(*) AS tables,
       count(CASE WHEN name = 'schema_journal_meta' THEN 1 END) AS meta
FROM sqlite_master WHERE type = 'table'
  AND name IN ('schema_journal', 'schema_journal_events', 'schema_journal_repeatable', 'schema_journal_meta');

-- name: format
SELECT CAST(value AS INTEGER) AS format FROM schema_journal_meta WHERE key = 'format';

-- name: applied
SELECT version, name, checksum, rollback_sql, rollback_checksum, applied_at, applied_by, duration_ms, failed,
       applied_sql, out_of_order
FROM schema_journal ORDER BY version;

-- name: applied_without_texts
-- What status and verify compare; the texts of the few edited migrations are read by applied_texts.
SELECT version, name, checksum, NULL AS rollback_sql, rollback_checksum, applied_at, applied_by, duration_ms, failed,
       NULL AS applied_sql, out_of_order
FROM schema_journal ORDER BY version;

-- name: applied_texts
SELECT applied_sql, rollback_sql FROM schema_journal WHERE version = :version;

-- name: applied_format_1
SELECT version, name, checksum, rollback_sql, rollback_checksum, applied_at, applied_by, duration_ms, failed,
       NULL AS applied_sql, 0 AS out_of_order
FROM schema_journal ORDER BY version;

-- name: up_done
-- Re-read under the lock before a migration runs: a row means another runner applied it meanwhile.
SELECT 1 AS done FROM schema_journal WHERE version = :version;

-- name: down_done
-- Re-read under the lock before a rollback runs: a row means another runner rolled it back meanwhile.
SELECT 1 AS done WHERE NOT EXISTS (SELECT 1 FROM schema_journal WHERE version = :version);

-- name: record
INSERT INTO schema_journal (version, name, checksum, rollback_checksum, rollback_sql, applied_at, applied_by,
                            duration_ms, runner_version, failed, applied_sql, out_of_order)
VALUES (:version, :name, :checksum, :rollback_checksum, :rollback_sql, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        :actor, :duration_ms, :runner_version, :failed, :applied_sql, :out_of_order);

-- name: mark_done
UPDATE schema_journal SET failed = 0, duration_ms = :duration_ms WHERE version = :version;

-- name: remove
DELETE FROM schema_journal WHERE version = :version;

-- name: update_checksums
UPDATE schema_journal
SET checksum = :checksum, rollback_checksum = :rollback_checksum, rollback_sql = :rollback_sql,
    applied_sql = :applied_sql
WHERE version = :version;

-- name: event
INSERT INTO schema_journal_events (occurred_at, action, version, name, checksum, duration_ms, success, actor,
                                   runner_version, message)
VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), :action, :version, :name, :checksum, :duration_ms, :success,
        :actor, :runner_version, :message);

-- name: events
SELECT id, occurred_at, action, version, name, checksum, duration_ms, success, actor, message
FROM schema_journal_events ORDER BY id DESC LIMIT :limit;

-- name: seed_params
CREATE TEMP TABLE runner_seed (scale INTEGER NOT NULL);
INSERT INTO runner_seed (scale) VALUES (:scale);

-- name: drop_seed_params
DROP TABLE temp.runner_seed;

-- name: mark_failed
UPDATE schema_journal SET failed = 1 WHERE version = :version;

-- name: repeatables
SELECT name, checksum, applied_at FROM schema_journal_repeatable ORDER BY name;

-- name: repeatable_done
-- Re-read under the lock before a repeatable runs: a row means this text of it has run already.
SELECT 1 AS done FROM schema_journal_repeatable WHERE name = :name AND checksum = :checksum;

-- name: record_repeatable
INSERT INTO schema_journal_repeatable (name, checksum, applied_at, applied_by, duration_ms, runner_version)
VALUES (:name, :checksum, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), :actor, :duration_ms, :runner_version)
ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = excluded.applied_at,
    applied_by = excluded.applied_by, duration_ms = excluded.duration_ms, runner_version = excluded.runner_version;

-- name: forget_repeatables
DELETE FROM schema_journal_repeatable;
