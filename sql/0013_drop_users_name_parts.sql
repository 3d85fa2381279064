-- 0013_drop_users_name_parts: CONTRACT step of the full_name change (expand
-- step: 0012). Ship it once no code reads or writes first_name / last_name.
-- One last catch-up backfill covers rows that code unaware of full_name wrote
-- after 0012, then the old columns go.
-- No view or index uses them, so a plain DROP COLUMN works on both dialects
-- (SQLite 3.35+). No table rebuild.
UPDATE users
SET full_name = NULLIF(TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), '')
WHERE full_name IS NULL;

ALTER TABLE users DROP COLUMN first_name;

ALTER TABLE users DROP COLUMN last_name;
