-- 0007_add_collateral: the assets pledged for an application and their
-- valuations over time (the latest valuation is the current value).
CREATE TABLE collateral_assets (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES loan_applications (id) ON DELETE CASCADE,
  asset_type     TEXT NOT NULL CHECK (asset_type IN (
                   'equipment', 'vehicle', 'real_estate', 'inventory',
                   'accounts_receivable', 'securities', 'other')),
  description    TEXT NOT NULL,
  identifier     TEXT,
  location       TEXT,
  lien_position  INTEGER NOT NULL DEFAULT 1 CHECK (lien_position >= 1),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_collateral_assets_application_id ON collateral_assets (application_id);

CREATE TABLE collateral_valuations (
  id             TEXT PRIMARY KEY,
  asset_id       TEXT NOT NULL REFERENCES collateral_assets (id) ON DELETE CASCADE,
  valued_on      DATE NOT NULL,
  market_value   NUMERIC(14,2) NOT NULL CHECK (market_value >= 0),
  forced_sale_value NUMERIC(14,2) CHECK (forced_sale_value >= 0),
  method         TEXT NOT NULL CHECK (method IN (
                   'appraisal', 'desktop_review', 'market_comparison', 'book_value', 'auction_estimate')),
  appraiser      TEXT,
  valued_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
  notes          TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- asset_id leads, so this also serves the foreign key (latest valuation first).
CREATE INDEX idx_collateral_valuations_asset_id_valued_on ON collateral_valuations (asset_id, valued_on);
CREATE INDEX idx_collateral_valuations_valued_by ON collateral_valuations (valued_by);
