-- runner: on-demand
-- 0002_volume (PostgreSQL): load-test data generated inside the database, not
-- row by row. N borrower users and N loan applications (one each), where N is
-- the scale column of the one-row temporary table runner_seed that the runner
-- creates before each seed. Ids are deterministic ('vol-user-<n>',
-- 'vol-app-<n>') and every INSERT is ON CONFLICT DO NOTHING, so a second run
-- adds nothing and a run with a larger scale adds only the missing rows.
-- SQLite: 0002_volume.sql (a recursive CTE).
--
-- These applications count in kpi_summary: its numbers in 0001_demo hold for
-- the demo seed alone. Statuses cycle with n mod 10: draft, submitted (2 of 10),
-- under_review, approved (2), funded (2), rejected, withdrawn. Every volume
-- user's password is demo123, like the demo users.

INSERT INTO users (id, email, password_hash, full_name, company_name, role, created_at, updated_at)
SELECT 'vol-user-' || n,
       'volume.borrower.' || n || '@example.com',
       '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O',
       'Volume Borrower ' || n,
       'Volume Business ' || n,
       'borrower',
       '2025-01-01 00:00:00+00',
       '2025-01-01 00:00:00+00'
FROM generate_series(1, (SELECT scale FROM runner_seed)) AS g(n)
ON CONFLICT DO NOTHING;

INSERT INTO loan_applications (id, borrower_id, business_name, loan_amount, loan_purpose, collateral_type, collateral_value, status, created_at, updated_at)
SELECT 'vol-app-' || n,
       'vol-user-' || n,
       'Volume Business ' || n,
       10000 + (n % 50) * 5000,
       'Working capital',
       'Equipment',
       15000 + (n % 50) * 7500,
       CASE n % 10
         WHEN 0 THEN 'draft'
         WHEN 1 THEN 'submitted'
         WHEN 2 THEN 'under_review'
         WHEN 3 THEN 'approved'
         WHEN 4 THEN 'approved'
         WHEN 5 THEN 'funded'
         WHEN 6 THEN 'funded'
         WHEN 7 THEN 'rejected'
         WHEN 8 THEN 'withdrawn'
         ELSE 'submitted'
       END,
       '2025-01-01 00:00:00+00',
       '2025-01-01 00:00:00+00'
FROM generate_series(1, (SELECT scale FROM runner_seed)) AS g(n)
ON CONFLICT DO NOTHING;
