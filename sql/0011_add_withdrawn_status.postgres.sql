-- 0011_add_withdrawn_status (PostgreSQL): loan_applications.status gains the
-- value 'withdrawn'. PostgreSQL swaps the CHECK in place: no table rebuild, and
-- the kpi_summary view, which does not depend on the constraint, stays.
-- (SQLite rebuilds the table: 0011_add_withdrawn_status.sql.)
ALTER TABLE loan_applications DROP CONSTRAINT loan_applications_status_check;

ALTER TABLE loan_applications ADD CONSTRAINT loan_applications_status_check
  CHECK (status IN ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'funded', 'withdrawn'));
