-- Data checks of 0013_drop_users_name_parts (the contract step): each query returns the offending rows.

-- runner: before
-- Since 0012 the application writes both full_name and the old columns. A row where they
-- disagree (code that wrote only the old columns after a full_name was set) would lose the
-- newer name when the old columns are dropped: fix those rows first.
SELECT id, first_name, last_name, full_name FROM users
WHERE full_name IS NOT NULL
  AND full_name <> NULLIF(TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), '');
