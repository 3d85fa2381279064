-- Rollback of 0006_add_loan_payments: payments reference schedules, drop them first.
DROP TABLE IF EXISTS loan_payments;
DROP TABLE IF EXISTS loan_payment_schedules;
