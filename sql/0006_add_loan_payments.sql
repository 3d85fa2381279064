-- 0006_add_loan_payments: the repayment schedule of a funded loan (one row per
-- installment) and the payments received.
--
-- loan_payment_schedules.status, which the kpi_summary view (0010) counts:
--   scheduled  not due yet
--   paid       paid in full on or before the due date
--   paid_late  paid in full after the due date
--   overdue    due date passed, not paid in full
CREATE TABLE loan_payment_schedules (
  id                 TEXT PRIMARY KEY,
  application_id     TEXT NOT NULL REFERENCES loan_applications (id) ON DELETE CASCADE,
  installment_number INTEGER NOT NULL CHECK (installment_number >= 1),
  due_date           DATE NOT NULL,
  principal_due      NUMERIC(14,2) NOT NULL CHECK (principal_due >= 0),
  interest_due       NUMERIC(14,2) NOT NULL CHECK (interest_due >= 0),
  amount_due         NUMERIC(14,2) NOT NULL CHECK (amount_due >= 0),
  status             TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'paid', 'paid_late', 'overdue')),
  created_at         TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- application_id leads, so this also serves the foreign key.
CREATE UNIQUE INDEX idx_payment_schedules_application_id_installment
  ON loan_payment_schedules (application_id, installment_number);
CREATE INDEX idx_payment_schedules_status_due_date ON loan_payment_schedules (status, due_date);

CREATE TABLE loan_payments (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES loan_applications (id) ON DELETE CASCADE,
  schedule_id    TEXT REFERENCES loan_payment_schedules (id) ON DELETE SET NULL,
  amount         NUMERIC(14,2) NOT NULL CHECK (amount > 0),
  paid_at        TIMESTAMPTZ NOT NULL,
  days_late      INTEGER NOT NULL DEFAULT 0 CHECK (days_late >= 0),
  method         TEXT NOT NULL CHECK (method IN ('ach', 'wire', 'check', 'card')),
  reference      TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_loan_payments_application_id ON loan_payments (application_id);
CREATE INDEX idx_loan_payments_schedule_id ON loan_payments (schedule_id);
