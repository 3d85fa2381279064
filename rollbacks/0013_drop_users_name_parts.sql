-- Rollback of 0013_drop_users_name_parts (SQLite): first_name / last_name come
-- back, filled by splitting full_name at its first space ("Mary Ann Smith"
-- gives "Mary" and "Ann Smith", a one-word name gives first_name only).
--
-- ADD COLUMN would append them after full_name, a different table from the one
-- 0013 found. So the table is rebuilt: rows copied aside, table dropped, created
-- again with the exact text of 0000_initial plus the ADD COLUMN of 0012 (which
-- is how it looked before 0013), rows copied back, index recreated. No RENAME,
-- so views need not be dropped (and none reads users).
-- Foreign-key enforcement is OFF during migrations: the DROP does not cascade
-- to the many tables that reference users, and every id comes back.

CREATE TABLE users_rollback_0013 AS SELECT * FROM users;

DROP TABLE users;

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  company_name  TEXT,
  role          TEXT NOT NULL DEFAULT 'borrower'
                CONSTRAINT users_role_check CHECK (role IN ('borrower', 'lender', 'admin')),
  created_at    TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  first_name    TEXT,
  last_name     TEXT);

ALTER TABLE users ADD COLUMN full_name TEXT;

INSERT INTO users
  (id, email, password_hash, company_name, role, created_at, updated_at,
   first_name, last_name, full_name)
SELECT id, email, password_hash, company_name, role, created_at, updated_at,
       CASE WHEN INSTR(full_name, ' ') > 0
            THEN SUBSTR(full_name, 1, INSTR(full_name, ' ') - 1)
            ELSE full_name END,
       CASE WHEN INSTR(full_name, ' ') > 0
            THEN SUBSTR(full_name, INSTR(full_name, ' ') + 1) END,
       full_name
FROM users_rollback_0013;

DROP TABLE users_rollback_0013;

CREATE INDEX idx_users_role ON users (role);
