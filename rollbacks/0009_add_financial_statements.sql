-- Rollback of 0009_add_financial_statements.
DROP TABLE IF EXISTS financial_statement_lines;
DROP TABLE IF EXISTS financial_statements;
