-- 0009_add_financial_statements: a borrower's income statements and balance
-- sheets, one header row per statement and one row per line item.
-- Line amounts are positive, the section gives the sign (a cost, a liability).
CREATE TABLE financial_statements (
  id             TEXT PRIMARY KEY,
  borrower_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id TEXT REFERENCES loan_applications (id) ON DELETE CASCADE,
  statement_type TEXT NOT NULL CHECK (statement_type IN ('income_statement', 'balance_sheet')),
  period_start   DATE,
  period_end     DATE NOT NULL,
  currency       TEXT NOT NULL DEFAULT 'USD' CHECK (LENGTH(currency) = 3),
  source         TEXT NOT NULL DEFAULT 'borrower_upload'
                 CHECK (source IN ('borrower_upload', 'accounting_integration', 'lender_entry')),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  -- an income statement covers a period, a balance sheet is a point in time
  CHECK ((statement_type = 'income_statement') = (period_start IS NOT NULL)),
  CHECK (period_start IS NULL OR period_start <= period_end)
);

-- borrower_id leads, so this also serves the foreign key.
CREATE UNIQUE INDEX idx_financial_statements_borrower_id_type_period
  ON financial_statements (borrower_id, statement_type, period_end);
CREATE INDEX idx_financial_statements_application_id ON financial_statements (application_id);

CREATE TABLE financial_statement_lines (
  id           TEXT PRIMARY KEY,
  statement_id TEXT NOT NULL REFERENCES financial_statements (id) ON DELETE CASCADE,
  line_number  INTEGER NOT NULL CHECK (line_number >= 1),
  section      TEXT NOT NULL CHECK (section IN (
                 'revenue', 'cost_of_goods_sold', 'operating_expense', 'other_income',
                 'other_expense', 'tax', 'asset', 'liability', 'equity')),
  line_item    TEXT NOT NULL,
  amount       NUMERIC(14,2) NOT NULL CHECK (amount >= 0)
);

-- statement_id leads, so this also serves the foreign key.
CREATE UNIQUE INDEX idx_statement_lines_statement_id_line_number
  ON financial_statement_lines (statement_id, line_number);
