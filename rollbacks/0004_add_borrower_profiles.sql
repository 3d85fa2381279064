-- Rollback of 0004_add_borrower_profiles.
DROP TABLE IF EXISTS borrower_profiles;
