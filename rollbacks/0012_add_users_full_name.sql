-- Rollback of 0012_add_users_full_name. first_name / last_name still hold the
-- names, so nothing is lost. (On SQLite, DROP COLUMN gives back the exact
-- table text of 0000, whose closing parenthesis follows the last column.)
ALTER TABLE users DROP COLUMN full_name;
