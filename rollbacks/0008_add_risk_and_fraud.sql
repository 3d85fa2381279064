-- Rollback of 0008_add_risk_and_fraud.
DROP TABLE IF EXISTS fraud_flags;
DROP TABLE IF EXISTS risk_scores;
