-- Rollback of 0001_add_invites (its indexes go with the table).
DROP TABLE IF EXISTS application_invites;
