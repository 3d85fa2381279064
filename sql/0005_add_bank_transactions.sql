-- 0005_add_bank_transactions: a borrower's bank statement lines, imported for
-- cash-flow underwriting. amount is always positive, direction gives the sign.
-- balance_after may be negative (an overdrawn account), so it has no CHECK.
CREATE TABLE bank_transactions (
  id             TEXT PRIMARY KEY,
  borrower_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id TEXT REFERENCES loan_applications (id) ON DELETE CASCADE,
  account_name   TEXT NOT NULL,
  account_last4  TEXT CHECK (account_last4 IS NULL OR LENGTH(account_last4) = 4),
  posted_on      DATE NOT NULL,
  description    TEXT NOT NULL,
  direction      TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
  amount         NUMERIC(14,2) NOT NULL CHECK (amount >= 0),
  balance_after  NUMERIC(14,2),
  category       TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- borrower_id leads, so this also serves the foreign key (statement by date).
CREATE INDEX idx_bank_transactions_borrower_id_posted_on ON bank_transactions (borrower_id, posted_on);
CREATE INDEX idx_bank_transactions_application_id ON bank_transactions (application_id);
