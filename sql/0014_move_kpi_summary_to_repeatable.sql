-- 0014_move_kpi_summary_to_repeatable: from now on the KPI view is defined by
-- sql/repeatable/kpi_summary.sql, which the runner re-runs after `up` whenever
-- it changes: a DBA edits the view in place instead of copying it into a new
-- numbered file. This migration only hands the view over; the repeatable
-- creates it again right after the numbered migrations.
DROP VIEW kpi_summary;
