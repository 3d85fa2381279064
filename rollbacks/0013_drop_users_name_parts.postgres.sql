-- Rollback of 0013_drop_users_name_parts (PostgreSQL): first_name / last_name
-- come back, filled by splitting full_name at its first space ("Mary Ann Smith"
-- gives "Mary" and "Ann Smith", a one-word name gives first_name only).
--
-- ADD COLUMN appends, and before 0013 the column order ended with
-- first_name, last_name, full_name. So full_name is moved behind them: copied
-- into a new last column, dropped, and the copy renamed.
ALTER TABLE users ADD COLUMN first_name TEXT;
ALTER TABLE users ADD COLUMN last_name TEXT;
ALTER TABLE users ADD COLUMN full_name_restored TEXT;

UPDATE users
SET first_name = CASE WHEN STRPOS(full_name, ' ') > 0
                      THEN SUBSTR(full_name, 1, STRPOS(full_name, ' ') - 1)
                      ELSE full_name END,
    last_name = CASE WHEN STRPOS(full_name, ' ') > 0
                     THEN SUBSTR(full_name, STRPOS(full_name, ' ') + 1) END,
    full_name_restored = full_name;

ALTER TABLE users DROP COLUMN full_name;
ALTER TABLE users RENAME COLUMN full_name_restored TO full_name;
