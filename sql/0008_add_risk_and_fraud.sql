-- 0008_add_risk_and_fraud: model risk scores of an application (one row per
-- scoring run) and fraud flags raised on it, with their investigation state.
CREATE TABLE risk_scores (
  id                     TEXT PRIMARY KEY,
  application_id         TEXT NOT NULL REFERENCES loan_applications (id) ON DELETE CASCADE,
  score                  INTEGER NOT NULL CHECK (score BETWEEN 0 AND 1000),
  risk_grade             TEXT NOT NULL CHECK (risk_grade IN ('A', 'B', 'C', 'D', 'E')),
  probability_of_default NUMERIC(5,4) NOT NULL
                         CHECK (probability_of_default >= 0 AND probability_of_default <= 1),
  model_version          TEXT NOT NULL,
  factors                TEXT,
  scored_at              TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_risk_scores_application_id ON risk_scores (application_id);

CREATE TABLE fraud_flags (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES loan_applications (id) ON DELETE CASCADE,
  flag_type      TEXT NOT NULL CHECK (flag_type IN (
                   'identity_mismatch', 'document_tampering', 'duplicate_collateral',
                   'bank_statement_anomaly', 'synthetic_identity', 'velocity', 'other')),
  severity       TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status         TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'investigating', 'cleared', 'confirmed')),
  description    TEXT NOT NULL,
  raised_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
  resolved_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
  raised_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  resolved_at    TIMESTAMPTZ,
  CHECK ((status IN ('cleared', 'confirmed')) = (resolved_at IS NOT NULL))
);

CREATE INDEX idx_fraud_flags_application_id ON fraud_flags (application_id);
CREATE INDEX idx_fraud_flags_raised_by ON fraud_flags (raised_by);
CREATE INDEX idx_fraud_flags_resolved_by ON fraud_flags (resolved_by);
CREATE INDEX idx_fraud_flags_status ON fraud_flags (status);
