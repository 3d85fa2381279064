-- Data checks of 0011_add_withdrawn_status (both dialects): each query returns the offending rows.

-- runner: before
-- Every status must be one the new constraint accepts, or the rebuild (SQLite) / the new CHECK
-- (PostgreSQL) fails half-way through a deploy.
SELECT id, status FROM loan_applications
WHERE status NOT IN ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'funded', 'withdrawn');

-- runner: after
-- No orphaned loan application: every borrower still exists (the guide's foreign-key check; on
-- SQLite the table was copied with foreign keys off).
SELECT la.id, la.borrower_id FROM loan_applications la
LEFT JOIN users u ON u.id = la.borrower_id
WHERE u.id IS NULL;
