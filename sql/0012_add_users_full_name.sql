-- 0012_add_users_full_name: EXPAND step of replacing users.first_name and
-- users.last_name by one users.full_name.
-- Adds the new column and backfills it from the old ones. The application
-- then writes both (dual write) until the CONTRACT step, 0013, drops
-- first_name and last_name. Additive: old code keeps working.
ALTER TABLE users ADD COLUMN full_name TEXT;

UPDATE users
SET full_name = NULLIF(TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), '')
WHERE full_name IS NULL;
