-- Rollback of 0011_add_withdrawn_status (PostgreSQL): back to the 0000 status
-- list. Applications in the status 'withdrawn', which the old list does not
-- allow, become 'rejected' (closed without a loan): the one change of data.
UPDATE loan_applications SET status = 'rejected' WHERE status = 'withdrawn';

ALTER TABLE loan_applications DROP CONSTRAINT loan_applications_status_check;

ALTER TABLE loan_applications ADD CONSTRAINT loan_applications_status_check
  CHECK (status IN ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'funded'));
