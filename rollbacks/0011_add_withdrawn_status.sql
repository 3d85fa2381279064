-- Rollback of 0011_add_withdrawn_status (SQLite): back to the 0000 status list.
-- Applications in the status 'withdrawn', which the old list does not allow,
-- become 'rejected' (closed without a loan): the one change of data.
--
-- The table is rebuilt by copying its rows aside, dropping it, creating it
-- again with the exact text of 0000_initial and copying the rows back. A
-- "CREATE new, RENAME" rebuild would leave the stored SQL as
-- CREATE TABLE "loan_applications" (quoted by SQLite), not the text 0000
-- created, and the schema would not be exactly what it was before 0011.
-- No RENAME here, so the kpi_summary view can stay.
-- Foreign-key enforcement is OFF during migrations: the DROP does not cascade
-- to child rows, and every id comes back.

CREATE TABLE loan_applications_rollback_0011 AS SELECT * FROM loan_applications;

DROP TABLE loan_applications;

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

INSERT INTO loan_applications
  (id, borrower_id, business_name, loan_amount, loan_purpose,
   collateral_type, collateral_value, status, created_at, updated_at)
SELECT id, borrower_id, business_name, loan_amount, loan_purpose,
       collateral_type, collateral_value,
       CASE WHEN status = 'withdrawn' THEN 'rejected' ELSE status END,
       created_at, updated_at
FROM loan_applications_rollback_0011;

DROP TABLE loan_applications_rollback_0011;

CREATE INDEX idx_loan_applications_borrower_id ON loan_applications (borrower_id);
CREATE INDEX idx_loan_applications_status ON loan_applications (status);
