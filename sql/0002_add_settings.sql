-- 0002_add_settings: per-user preferences and per-organisation lending
-- settings. An organisation is the lender company, owned by one user.

CREATE TABLE user_settings (
  user_id             TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  timezone            TEXT NOT NULL DEFAULT 'UTC',
  locale              TEXT NOT NULL DEFAULT 'en-US',
  theme               TEXT NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system')),
  email_notifications BOOLEAN NOT NULL DEFAULT TRUE,
  sms_notifications   BOOLEAN NOT NULL DEFAULT FALSE,
  two_factor_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE organization_settings (
  id                    TEXT PRIMARY KEY,
  owner_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organization_name     TEXT NOT NULL,
  default_currency      TEXT NOT NULL DEFAULT 'USD' CHECK (LENGTH(default_currency) = 3),
  default_interest_rate NUMERIC(6,4) NOT NULL DEFAULT 0.1000
                        CHECK (default_interest_rate >= 0 AND default_interest_rate <= 1),
  min_loan_amount       NUMERIC(14,2) NOT NULL DEFAULT 0 CHECK (min_loan_amount >= 0),
  max_loan_amount       NUMERIC(14,2) CHECK (max_loan_amount >= 0),
  max_loan_to_value     NUMERIC(5,4) NOT NULL DEFAULT 0.8000
                        CHECK (max_loan_to_value > 0 AND max_loan_to_value <= 1),
  invite_expiry_days    INTEGER NOT NULL DEFAULT 7 CHECK (invite_expiry_days > 0),
  require_dual_approval BOOLEAN NOT NULL DEFAULT FALSE,
  created_at            TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CHECK (max_loan_amount IS NULL OR max_loan_amount >= min_loan_amount)
);

CREATE UNIQUE INDEX idx_organization_settings_owner_id ON organization_settings (owner_id);
