-- 0004_add_borrower_profiles: the business behind a borrower user (one
-- profile per borrower, keyed by the user's id).
CREATE TABLE borrower_profiles (
  user_id             TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  legal_business_name TEXT NOT NULL,
  entity_type         TEXT NOT NULL CHECK (entity_type IN (
                        'sole_proprietorship', 'partnership', 'llc', 'corporation', 'nonprofit')),
  industry            TEXT,
  tax_id_last4        TEXT CHECK (tax_id_last4 IS NULL OR LENGTH(tax_id_last4) = 4),
  years_in_business   INTEGER CHECK (years_in_business >= 0),
  employee_count      INTEGER CHECK (employee_count >= 0),
  annual_revenue      NUMERIC(14,2) CHECK (annual_revenue >= 0),
  credit_score        INTEGER CHECK (credit_score BETWEEN 300 AND 850),
  phone               TEXT,
  address_line1       TEXT,
  city                TEXT,
  state               TEXT,
  postal_code         TEXT,
  country             TEXT NOT NULL DEFAULT 'US',
  created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
