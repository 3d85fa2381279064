-- 0003_add_notifications: in-app notifications for a user, optionally about
-- one application. read_at is NULL while unread.
CREATE TABLE notifications (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  application_id TEXT REFERENCES loan_applications (id) ON DELETE CASCADE,
  type           TEXT NOT NULL CHECK (type IN (
                   'application_submitted', 'application_status_changed', 'invite_sent',
                   'document_requested', 'payment_due', 'payment_late', 'fraud_alert', 'system')),
  title          TEXT NOT NULL,
  body           TEXT NOT NULL DEFAULT '',
  read_at        TIMESTAMPTZ,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- user_id leads, so this also serves the foreign key ("my unread notifications").
CREATE INDEX idx_notifications_user_id_read_at ON notifications (user_id, read_at);
CREATE INDEX idx_notifications_application_id ON notifications (application_id);
