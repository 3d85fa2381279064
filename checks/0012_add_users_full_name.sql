-- Data checks of 0012_add_users_full_name (the expand step): each query returns the offending rows.

-- runner: after
-- The backfill left no name behind: a user with a first or last name has a full_name.
SELECT id, first_name, last_name FROM users
WHERE full_name IS NULL AND TRIM(COALESCE(first_name, '') || COALESCE(last_name, '')) <> '';
