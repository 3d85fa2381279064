-- Rollback of 0007_add_collateral: valuations reference assets, drop them first.
DROP TABLE IF EXISTS collateral_valuations;
DROP TABLE IF EXISTS collateral_assets;
