-- Rollback of 0000_initial: children first.
DROP TABLE IF EXISTS loan_applications;
DROP TABLE IF EXISTS users;
