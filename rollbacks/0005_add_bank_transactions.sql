-- Rollback of 0005_add_bank_transactions.
DROP TABLE IF EXISTS bank_transactions;
