-- Rollback of 0003_add_notifications.
DROP TABLE IF EXISTS notifications;
