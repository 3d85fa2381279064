-- 0000_initial: the two tables the AssetLender app started with.
--
-- users: every person who signs in (borrower, lender or admin).
--   The closing parenthesis follows the last column directly, and first_name /
--   last_name are the last columns: 0012 adds full_name with ALTER TABLE ADD
--   COLUMN and its rollback drops it again, 0013 drops first_name / last_name and
--   its rollback restores them. Written this way, those steps give back exactly
--   this table (same column order on PostgreSQL, same stored SQL text on SQLite).
-- loan_applications: one row per application, owned by its borrower.
--   Its status CHECK is named because 0011 replaces it.

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

CREATE INDEX idx_users_role ON users (role);

CREATE TABLE loan_applications (
  id               TEXT PRIMARY KEY,
  borrower_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  business_name    TEXT NOT NULL,
  loan_amount      NUMERIC(14,2) NOT NULL CHECK (loan_amount > 0),
  loan_purpose     TEXT NOT NULL,
  collateral_type  TEXT,
  collateral_value NUMERIC(14,2) CHECK (collateral_value >= 0),
  status           TEXT NOT NULL DEFAULT 'draft'
                   CONSTRAINT loan_applications_status_check
                   CHECK (status IN ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'funded')),
  created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_loan_applications_borrower_id ON loan_applications (borrower_id);
CREATE INDEX idx_loan_applications_status ON loan_applications (status);
