-- Rollback of 0010_add_kpi_summary.
DROP VIEW IF EXISTS kpi_summary;
