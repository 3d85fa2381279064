-- 0010_add_kpi_summary: the dashboard KPIs as a view of exactly one row.
-- These column names are an interface (dashboard, tests): keep them stable.
--
--   total_applications     integer  every loan application, whatever its status
--   approved_applications  integer  applications approved or funded
--   approval_rate          decimal  approved_applications / decided applications
--                                   (approved + funded + rejected), rounded to 4
--                                   places, NULL when nothing is decided yet
--   funded_applications    integer  applications with status funded
--   funded_volume          money    sum of loan_amount of funded applications
--   payments_due           integer  installments that have fallen due
--                                   (loan_payment_schedules.status other than scheduled)
--   late_payments          integer  of those, paid late or still overdue
--   delinquency_rate       decimal  late_payments / payments_due, rounded to 4
--                                   places, NULL when nothing is due yet
--   overdue_amount         money    amount_due of the installments still overdue
--
-- Ratios are computed as 1.0 * a / b so that SQLite does not divide integers,
-- and ROUND(numeric, 4) exists on PostgreSQL. Each dialect then returns the same
-- numbers (PostgreSQL as numeric, SQLite as integer or real).
-- The view depends on loan_applications: 0011 drops and recreates it around
-- the rebuild of that table on SQLite, with this exact text.
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
