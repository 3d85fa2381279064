-- Rollback of 0002_add_settings.
DROP TABLE IF EXISTS organization_settings;
DROP TABLE IF EXISTS user_settings;
