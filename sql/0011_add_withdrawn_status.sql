-- 0011_add_withdrawn_status (SQLite): a borrower can now withdraw an
-- application, so loan_applications.status gains the value 'withdrawn'.
--
-- SQLite cannot change a column's CHECK (its type) in place, so this rebuilds
-- the table (the table-recreation strategy):
--   1. drop the views that read the table (kpi_summary): with them in place
--      the RENAME in step 5 fails ("error in view kpi_summary: no such table")
--   2. CREATE the new table under a temporary name
--   3. INSERT ... SELECT every row
--   4. DROP the old table (its indexes go with it)
--   5. RENAME the new table
--   6. recreate the indexes and the views, same names and text as before
-- The runner runs this with foreign-key enforcement OFF, so step 4 does NOT
-- cascade-delete the invites, schedules, payments ... that reference
-- loan_applications. Their REFERENCES clauses name "loan_applications", which
-- the renamed table answers to again, and PRAGMA foreign_key_check passes
-- because every id was copied.
-- PostgreSQL does the same with two ALTER TABLE statements
-- (0011_add_withdrawn_status.postgres.sql).

DROP VIEW kpi_summary;

CREATE TABLE loan_applications_new (
  id               TEXT PRIMARY KEY,
  borrower_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  business_name    TEXT NOT NULL,
  loan_amount      NUMERIC(14,2) NOT NULL CHECK (loan_amount > 0),
  loan_purpose     TEXT NOT NULL,
  collateral_type  TEXT,
  collateral_value NUMERIC(14,2) CHECK (collateral_value >= 0),
  status           TEXT NOT NULL DEFAULT 'draft'
                   CONSTRAINT loan_applications_status_check
                   CHECK (status IN ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'funded', 'withdrawn')),
  created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO loan_applications_new
  (id, borrower_id, business_name, loan_amount, loan_purpose,
   collateral_type, collateral_value, status, created_at, updated_at)
SELECT id, borrower_id, business_name, loan_amount, loan_purpose,
       collateral_type, collateral_value, status, created_at, updated_at
FROM loan_applications;

DROP TABLE loan_applications;

ALTER TABLE loan_applications_new RENAME TO loan_applications;

CREATE INDEX idx_loan_applications_borrower_id ON loan_applications (borrower_id);
CREATE INDEX idx_loan_applications_status ON loan_applications (status);

CREATE VIEW kpi_summary AS
SELECT
  apps.total_applications,
  apps.approved_applications,
  ROUND(1.0 * apps.approved_applications / NULLIF(apps.decided_applications, 0), 4) AS approval_rate,
  apps.funded_applications,
  apps.funded_volume,
  inst.payments_due,
  inst.late_payments,
  ROUND(1.0 * inst.late_payments / NULLIF(inst.payments_due, 0), 4) AS delinquency_rate,
  inst.overdue_amount
FROM (
  SELECT
    COUNT(*) AS total_applications,
    COUNT(CASE WHEN status IN ('approved', 'funded') THEN 1 END) AS approved_applications,
    COUNT(CASE WHEN status IN ('approved', 'funded', 'rejected') THEN 1 END) AS decided_applications,
    COUNT(CASE WHEN status = 'funded' THEN 1 END) AS funded_applications,
    COALESCE(SUM(CASE WHEN status = 'funded' THEN loan_amount END), 0) AS funded_volume
  FROM loan_applications
) AS apps
CROSS JOIN (
  SELECT
    COUNT(CASE WHEN status <> 'scheduled' THEN 1 END) AS payments_due,
    COUNT(CASE WHEN status IN ('paid_late', 'overdue') THEN 1 END) AS late_payments,
    COALESCE(SUM(CASE WHEN status = 'overdue' THEN amount_due END), 0) AS overdue_amount
  FROM loan_payment_schedules
) AS inst;
