-- Rollback of 0014: the view as 0010 created it (same text, so the schema is
-- exactly as before). IF EXISTS: the repeatable may have created it already.
DROP VIEW IF EXISTS kpi_summary;
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
