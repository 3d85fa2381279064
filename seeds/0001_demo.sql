-- 0001_demo: the AssetLender demo data set. Idempotent: fixed ids and
-- timestamps, every INSERT ... ON CONFLICT DO NOTHING, so a second run
-- changes nothing. Written for the final schema (users.full_name, the
-- 'withdrawn' status), the same file on SQLite and PostgreSQL.
--
-- Sign-in: every demo user's password is demo123 (password_hash is a real
-- bcrypt hash of it, cost 10). The lender is lender@demo.com (Demo Lender,
-- Capital Lending Group).
--
-- SELECT * FROM kpi_summary after all migrations and this seed alone (the
-- volume seed, 0002, adds to these) returns one row, on both dialects:
--
--   total_applications     12
--   approved_applications  6         (2 approved + 4 funded)
--   approval_rate          0.75      (6 of 8 decided: + 2 rejected, the
--                                     withdrawn one is not a decision)
--   funded_applications    4
--   funded_volume          1000000   (250000 + 500000 + 150000 + 100000)
--   payments_due           16        (4 funded loans x 4 installments due)
--   late_payments          4         (2 paid late + 2 overdue)
--   delinquency_rate       0.25      (4 of 16)
--   overdue_amount         10000     (2 overdue installments of 5000)
--
-- PostgreSQL returns the decimals as numeric (0.7500, 1000000.00), SQLite as
-- integer or real. They compare equal as Python numbers, because every
-- amount is whole and every ratio is a power-of-two fraction.
--
-- Applications by status:
--   draft 1, submitted 1, under_review 1, approved 2, funded 4, rejected 2,
--   withdrawn 1
-- Data as of 2025-05-20: installments due from February to May 2025 are due,
-- those of June and July are still scheduled.

-- Users ---------------------------------------------------------------------
INSERT INTO users (id, email, password_hash, full_name, company_name, role, created_at, updated_at) VALUES
  ('usr-lender-demo',  'lender@demo.com',  '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Demo Lender',    'Capital Lending Group', 'lender',   '2024-11-04 09:00:00+00', '2024-11-04 09:00:00+00'),
  ('usr-admin-demo',   'admin@demo.com',   '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Avery Admin',    'Capital Lending Group', 'admin',    '2024-11-04 09:05:00+00', '2024-11-04 09:05:00+00'),
  ('usr-borrower-01',  'borrower@demo.com', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Demo Borrower',  'Demo Corp',                    'borrower', '2024-11-12 14:20:00+00', '2024-11-12 14:20:00+00'),
  ('usr-borrower-02',  'maria@northwindlogistics.example', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Maria Gonzalez', 'Northwind Logistics LLC', 'borrower', '2024-11-18 10:00:00+00', '2024-11-18 10:00:00+00'),
  ('usr-borrower-03',  'james@chenprecision.example', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'James Chen', 'Chen Precision Manufacturing Inc', 'borrower', '2024-11-20 16:45:00+00', '2024-11-20 16:45:00+00'),
  ('usr-borrower-04',  'aisha@patelfarms.example', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Aisha Patel', 'Patel Family Farms', 'borrower', '2024-12-02 08:30:00+00', '2024-12-02 08:30:00+00'),
  ('usr-borrower-05',  'robert@okaforconstruction.example', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Robert Okafor', 'Okafor Construction Co', 'borrower', '2024-12-09 11:15:00+00', '2024-12-09 11:15:00+00'),
  ('usr-borrower-06',  'sarah@bluebirdbakery.example', '$2b$10$UZjYLvY2TSGoilKOjjwXLui1AU150GXcNuM5R0UGMnmyIk0Grtc4O', 'Sarah Miller', 'Bluebird Bakery LLC', 'borrower', '2024-12-15 13:00:00+00', '2024-12-15 13:00:00+00')
ON CONFLICT DO NOTHING;

-- Settings --------------------------------------------------------------------
INSERT INTO user_settings (user_id, timezone, locale, theme, email_notifications, sms_notifications, two_factor_enabled, created_at, updated_at) VALUES
  ('usr-lender-demo', 'America/New_York',    'en-US', 'dark',   TRUE,  TRUE,  TRUE,  '2024-11-04 09:00:00+00', '2024-11-04 09:00:00+00'),
  ('usr-admin-demo',  'America/New_York',    'en-US', 'system', TRUE,  FALSE, TRUE,  '2024-11-04 09:05:00+00', '2024-11-04 09:05:00+00'),
  ('usr-borrower-01', 'UTC',                 'en-US', 'system', TRUE,  FALSE, FALSE, '2024-11-12 14:20:00+00', '2024-11-12 14:20:00+00'),
  ('usr-borrower-02', 'America/Chicago',     'es-US', 'light',  TRUE,  TRUE,  FALSE, '2024-11-18 10:00:00+00', '2024-11-18 10:00:00+00'),
  ('usr-borrower-03', 'America/Los_Angeles', 'en-US', 'dark',   TRUE,  FALSE, TRUE,  '2024-11-20 16:45:00+00', '2024-11-20 16:45:00+00'),
  ('usr-borrower-04', 'America/Chicago',     'en-US', 'system', FALSE, TRUE,  FALSE, '2024-12-02 08:30:00+00', '2024-12-02 08:30:00+00'),
  ('usr-borrower-05', 'America/Denver',      'en-US', 'light',  TRUE,  FALSE, FALSE, '2024-12-09 11:15:00+00', '2024-12-09 11:15:00+00'),
  ('usr-borrower-06', 'America/New_York',    'en-US', 'system', TRUE,  TRUE,  FALSE, '2024-12-15 13:00:00+00', '2024-12-15 13:00:00+00')
ON CONFLICT DO NOTHING;

INSERT INTO organization_settings (id, owner_id, organization_name, default_currency, default_interest_rate, min_loan_amount, max_loan_amount, max_loan_to_value, invite_expiry_days, require_dual_approval, created_at, updated_at) VALUES
  ('org-capital-lending-group', 'usr-lender-demo', 'Capital Lending Group', 'USD', 0.0950, 25000, 2000000, 0.8000, 14, TRUE, '2024-11-04 09:00:00+00', '2025-01-02 08:00:00+00')
ON CONFLICT DO NOTHING;

-- Borrower profiles ------------------------------------------------------------
INSERT INTO borrower_profiles (user_id, legal_business_name, entity_type, industry, tax_id_last4, years_in_business, employee_count, annual_revenue, credit_score, phone, address_line1, city, state, postal_code, country, created_at, updated_at) VALUES
  ('usr-borrower-01', 'Demo Corp',                        'corporation',         'Professional services',   '4821', 6,  24,  3200000, 712, '+1-555-0101', '100 Market Street',    'Philadelphia',  'PA', '19106', 'US', '2024-11-12 14:30:00+00', '2024-11-12 14:30:00+00'),
  ('usr-borrower-02', 'Northwind Logistics LLC',          'llc',                 'Freight trucking',        '7730', 11, 58,  9400000, 745, '+1-555-0102', '2200 Industrial Pkwy',  'Joliet',        'IL', '60436', 'US', '2024-11-18 10:10:00+00', '2024-11-18 10:10:00+00'),
  ('usr-borrower-03', 'Chen Precision Manufacturing Inc', 'corporation',         'Machining',               '1194', 18, 86,  14800000, 781, '+1-555-0103', '45 Foundry Road',      'Fremont',       'CA', '94538', 'US', '2024-11-20 17:00:00+00', '2024-11-20 17:00:00+00'),
  ('usr-borrower-04', 'Patel Family Farms',               'partnership',         'Agriculture',             '5562', 23, 12,  2100000, 698, '+1-555-0104', '8800 County Road 12',  'Ames',          'IA', '50010', 'US', '2024-12-02 08:40:00+00', '2024-12-02 08:40:00+00'),
  ('usr-borrower-05', 'Okafor Construction Co',           'corporation',         'Construction',            '3307', 9,  41,  7600000, 664, '+1-555-0105', '310 Quarry Lane',      'Aurora',        'CO', '80011', 'US', '2024-12-09 11:30:00+00', '2024-12-09 11:30:00+00'),
  ('usr-borrower-06', 'Bluebird Bakery LLC',              'llc',                 'Food service',            '9018', 4,  19,  1350000, 641, '+1-555-0106', '12 Elm Street',        'Burlington',    'VT', '05401', 'US', '2024-12-15 13:10:00+00', '2024-12-15 13:10:00+00')
ON CONFLICT DO NOTHING;

-- Loan applications (every status) -------------------------------------------------
INSERT INTO loan_applications (id, borrower_id, business_name, loan_amount, loan_purpose, collateral_type, collateral_value, status, created_at, updated_at) VALUES
  ('app-0001', 'usr-borrower-01', 'Demo Corp',                        50000,  'Equipment purchase',                      'Equipment',    75000,   'draft',        '2025-05-12 10:00:00+00', '2025-05-12 10:00:00+00'),
  ('app-0002', 'usr-borrower-06', 'Bluebird Bakery LLC',              35000,  'Commercial ovens and mixers',             'Equipment',    42000,   'submitted',    '2025-05-08 09:30:00+00', '2025-05-09 15:00:00+00'),
  ('app-0003', 'usr-borrower-05', 'Okafor Construction Co',           400000, 'Fleet expansion: four dump trucks',       'Vehicles',     520000,  'under_review', '2025-04-22 14:00:00+00', '2025-05-02 11:00:00+00'),
  ('app-0004', 'usr-borrower-04', 'Patel Family Farms',               180000, 'Tractor and center-pivot irrigation',     'Equipment',    240000,  'approved',     '2025-03-18 08:45:00+00', '2025-04-10 16:20:00+00'),
  ('app-0005', 'usr-borrower-03', 'Chen Precision Manufacturing Inc', 320000, 'Two 5-axis CNC machining centers',        'Equipment',    410000,  'approved',     '2025-04-01 13:10:00+00', '2025-04-28 10:05:00+00'),
  ('app-0006', 'usr-borrower-02', 'Northwind Logistics LLC',          250000, 'Three refrigerated trailers',             'Vehicles',     330000,  'funded',       '2024-12-02 09:00:00+00', '2025-01-01 12:00:00+00'),
  ('app-0007', 'usr-borrower-03', 'Chen Precision Manufacturing Inc', 500000, 'Purchase of leased production building',  'Real estate',  850000,  'funded',       '2024-11-25 10:30:00+00', '2025-01-05 12:00:00+00'),
  ('app-0008', 'usr-borrower-01', 'Demo Corp',                        150000, 'Inventory financing',                     'Inventory',    210000,  'funded',       '2024-12-10 11:00:00+00', '2025-01-10 12:00:00+00'),
  ('app-0009', 'usr-borrower-06', 'Bluebird Bakery LLC',              100000, 'Second location fit-out',                 'Equipment',    125000,  'funded',       '2024-12-18 15:40:00+00', '2025-01-15 12:00:00+00'),
  ('app-0010', 'usr-borrower-05', 'Okafor Construction Co',           900000, 'Land acquisition for development',        'Real estate',  700000,  'rejected',     '2025-02-03 09:15:00+00', '2025-02-20 17:30:00+00'),
  ('app-0011', 'usr-borrower-02', 'Northwind Logistics LLC',          60000,  'Working capital',                         'Receivables',  90000,   'rejected',     '2025-02-11 10:00:00+00', '2025-03-04 09:40:00+00'),
  ('app-0012', 'usr-borrower-04', 'Patel Family Farms',               45000,  'Grain storage bin',                       'Equipment',    60000,   'withdrawn',    '2025-01-20 08:00:00+00', '2025-02-06 14:25:00+00')
ON CONFLICT DO NOTHING;

-- Invites (text timestamps, as in 0001) ------------------------------------------
INSERT INTO application_invites (id, application_id, borrower_id, token, email, invited_by, used_at, expires_at, created_at) VALUES
  ('inv-0001', 'app-0001', 'usr-borrower-01', 'demo-invite-0001-7f3a9c', 'borrower@demo.com',                 'usr-lender-demo', NULL,                   '2025-05-26T10:00:00Z', '2025-05-12T10:00:00Z'),
  ('inv-0002', 'app-0002', 'usr-borrower-06', 'demo-invite-0002-1b8e4d', 'sarah@bluebirdbakery.example',      'usr-lender-demo', '2025-05-08T09:25:00Z', '2025-05-20T16:00:00Z', '2025-05-06T16:00:00Z'),
  ('inv-0003', 'app-0003', 'usr-borrower-05', 'demo-invite-0003-c42f10', 'robert@okaforconstruction.example', 'usr-lender-demo', '2025-04-22T13:50:00Z', '2025-05-01T09:00:00Z', '2025-04-17T09:00:00Z'),
  ('inv-0004', 'app-0012', 'usr-borrower-04', 'demo-invite-0004-9d0e77', 'aisha@patelfarms.example',          'usr-admin-demo',  NULL,                   '2025-02-03T08:00:00Z', '2025-01-20T08:00:00Z')
ON CONFLICT DO NOTHING;

-- Payment schedules of the four funded loans ---------------------------------------
-- Flat monthly installments, six generated per loan. Due: February to May.
--   app-0006  12500 (10000 principal + 2500 interest), all paid on time
--   app-0007  25000 (20000 + 5000), March paid 10 days late
--   app-0008   7500 (6000 + 1500), February paid 5 days late
--   app-0009   5000 (4000 + 1000), April and May overdue (unpaid)
INSERT INTO loan_payment_schedules (id, application_id, installment_number, due_date, principal_due, interest_due, amount_due, status, created_at, updated_at) VALUES
  ('sch-0006-01', 'app-0006', 1, '2025-02-01', 10000, 2500, 12500, 'paid',      '2025-01-01 12:00:00+00', '2025-01-31 15:00:00+00'),
  ('sch-0006-02', 'app-0006', 2, '2025-03-01', 10000, 2500, 12500, 'paid',      '2025-01-01 12:00:00+00', '2025-02-28 15:00:00+00'),
  ('sch-0006-03', 'app-0006', 3, '2025-04-01', 10000, 2500, 12500, 'paid',      '2025-01-01 12:00:00+00', '2025-03-31 15:00:00+00'),
  ('sch-0006-04', 'app-0006', 4, '2025-05-01', 10000, 2500, 12500, 'paid',      '2025-01-01 12:00:00+00', '2025-04-30 15:00:00+00'),
  ('sch-0006-05', 'app-0006', 5, '2025-06-01', 10000, 2500, 12500, 'scheduled', '2025-01-01 12:00:00+00', '2025-01-01 12:00:00+00'),
  ('sch-0006-06', 'app-0006', 6, '2025-07-01', 10000, 2500, 12500, 'scheduled', '2025-01-01 12:00:00+00', '2025-01-01 12:00:00+00'),
  ('sch-0007-01', 'app-0007', 1, '2025-02-05', 20000, 5000, 25000, 'paid',      '2025-01-05 12:00:00+00', '2025-02-04 15:00:00+00'),
  ('sch-0007-02', 'app-0007', 2, '2025-03-05', 20000, 5000, 25000, 'paid',      '2025-01-05 12:00:00+00', '2025-03-04 15:00:00+00'),
  ('sch-0007-03', 'app-0007', 3, '2025-04-05', 20000, 5000, 25000, 'paid_late', '2025-01-05 12:00:00+00', '2025-04-15 15:00:00+00'),
  ('sch-0007-04', 'app-0007', 4, '2025-05-05', 20000, 5000, 25000, 'paid',      '2025-01-05 12:00:00+00', '2025-05-05 15:00:00+00'),
  ('sch-0007-05', 'app-0007', 5, '2025-06-05', 20000, 5000, 25000, 'scheduled', '2025-01-05 12:00:00+00', '2025-01-05 12:00:00+00'),
  ('sch-0007-06', 'app-0007', 6, '2025-07-05', 20000, 5000, 25000, 'scheduled', '2025-01-05 12:00:00+00', '2025-01-05 12:00:00+00'),
  ('sch-0008-01', 'app-0008', 1, '2025-02-10', 6000,  1500, 7500,  'paid_late', '2025-01-10 12:00:00+00', '2025-02-15 15:00:00+00'),
  ('sch-0008-02', 'app-0008', 2, '2025-03-10', 6000,  1500, 7500,  'paid',      '2025-01-10 12:00:00+00', '2025-03-10 15:00:00+00'),
  ('sch-0008-03', 'app-0008', 3, '2025-04-10', 6000,  1500, 7500,  'paid',      '2025-01-10 12:00:00+00', '2025-04-09 15:00:00+00'),
  ('sch-0008-04', 'app-0008', 4, '2025-05-10', 6000,  1500, 7500,  'paid',      '2025-01-10 12:00:00+00', '2025-05-08 15:00:00+00'),
  ('sch-0008-05', 'app-0008', 5, '2025-06-10', 6000,  1500, 7500,  'scheduled', '2025-01-10 12:00:00+00', '2025-01-10 12:00:00+00'),
  ('sch-0008-06', 'app-0008', 6, '2025-07-10', 6000,  1500, 7500,  'scheduled', '2025-01-10 12:00:00+00', '2025-01-10 12:00:00+00'),
  ('sch-0009-01', 'app-0009', 1, '2025-02-15', 4000,  1000, 5000,  'paid',      '2025-01-15 12:00:00+00', '2025-02-14 15:00:00+00'),
  ('sch-0009-02', 'app-0009', 2, '2025-03-15', 4000,  1000, 5000,  'paid',      '2025-01-15 12:00:00+00', '2025-03-14 15:00:00+00'),
  ('sch-0009-03', 'app-0009', 3, '2025-04-15', 4000,  1000, 5000,  'overdue',   '2025-01-15 12:00:00+00', '2025-04-16 06:00:00+00'),
  ('sch-0009-04', 'app-0009', 4, '2025-05-15', 4000,  1000, 5000,  'overdue',   '2025-01-15 12:00:00+00', '2025-05-16 06:00:00+00'),
  ('sch-0009-05', 'app-0009', 5, '2025-06-15', 4000,  1000, 5000,  'scheduled', '2025-01-15 12:00:00+00', '2025-01-15 12:00:00+00'),
  ('sch-0009-06', 'app-0009', 6, '2025-07-15', 4000,  1000, 5000,  'scheduled', '2025-01-15 12:00:00+00', '2025-01-15 12:00:00+00')
ON CONFLICT DO NOTHING;

INSERT INTO loan_payments (id, application_id, schedule_id, amount, paid_at, days_late, method, reference, created_at) VALUES
  ('pay-0006-01', 'app-0006', 'sch-0006-01', 12500, '2025-01-31 15:00:00+00', 0,  'ach',   'ACH-NWL-2501', '2025-01-31 15:00:00+00'),
  ('pay-0006-02', 'app-0006', 'sch-0006-02', 12500, '2025-02-28 15:00:00+00', 0,  'ach',   'ACH-NWL-2502', '2025-02-28 15:00:00+00'),
  ('pay-0006-03', 'app-0006', 'sch-0006-03', 12500, '2025-03-31 15:00:00+00', 0,  'ach',   'ACH-NWL-2503', '2025-03-31 15:00:00+00'),
  ('pay-0006-04', 'app-0006', 'sch-0006-04', 12500, '2025-04-30 15:00:00+00', 0,  'ach',   'ACH-NWL-2504', '2025-04-30 15:00:00+00'),
  ('pay-0007-01', 'app-0007', 'sch-0007-01', 25000, '2025-02-04 15:00:00+00', 0,  'wire',  'WIRE-CPM-2502', '2025-02-04 15:00:00+00'),
  ('pay-0007-02', 'app-0007', 'sch-0007-02', 25000, '2025-03-04 15:00:00+00', 0,  'wire',  'WIRE-CPM-2503', '2025-03-04 15:00:00+00'),
  ('pay-0007-03', 'app-0007', 'sch-0007-03', 25000, '2025-04-15 15:00:00+00', 10, 'wire',  'WIRE-CPM-2504', '2025-04-15 15:00:00+00'),
  ('pay-0007-04', 'app-0007', 'sch-0007-04', 25000, '2025-05-05 15:00:00+00', 0,  'wire',  'WIRE-CPM-2505', '2025-05-05 15:00:00+00'),
  ('pay-0008-01', 'app-0008', 'sch-0008-01', 7500,  '2025-02-15 15:00:00+00', 5,  'check', 'CHK-10422',     '2025-02-15 15:00:00+00'),
  ('pay-0008-02', 'app-0008', 'sch-0008-02', 7500,  '2025-03-10 15:00:00+00', 0,  'ach',   'ACH-DMC-2503',  '2025-03-10 15:00:00+00'),
  ('pay-0008-03', 'app-0008', 'sch-0008-03', 7500,  '2025-04-09 15:00:00+00', 0,  'ach',   'ACH-DMC-2504',  '2025-04-09 15:00:00+00'),
  ('pay-0008-04', 'app-0008', 'sch-0008-04', 7500,  '2025-05-08 15:00:00+00', 0,  'ach',   'ACH-DMC-2505',  '2025-05-08 15:00:00+00'),
  ('pay-0009-01', 'app-0009', 'sch-0009-01', 5000,  '2025-02-14 15:00:00+00', 0,  'card',  'CARD-BBK-2502', '2025-02-14 15:00:00+00'),
  ('pay-0009-02', 'app-0009', 'sch-0009-02', 5000,  '2025-03-14 15:00:00+00', 0,  'card',  'CARD-BBK-2503', '2025-03-14 15:00:00+00')
ON CONFLICT DO NOTHING;

-- Notifications -----------------------------------------------------------------
INSERT INTO notifications (id, user_id, application_id, type, title, body, read_at, created_at) VALUES
  ('ntf-0001', 'usr-borrower-01', 'app-0001', 'invite_sent',                'You are invited to apply',       'Capital Lending Group invited you to complete an equipment loan application.', NULL,                     '2025-05-12 10:00:00+00'),
  ('ntf-0002', 'usr-lender-demo', 'app-0002', 'application_submitted',      'New application submitted',      'Bluebird Bakery LLC submitted a 35000 USD equipment loan application.',       '2025-05-09 16:00:00+00', '2025-05-09 15:00:00+00'),
  ('ntf-0003', 'usr-borrower-05', 'app-0003', 'document_requested',         'Documents requested',            'Please upload the titles of the four dump trucks.',                           NULL,                     '2025-05-02 11:00:00+00'),
  ('ntf-0004', 'usr-borrower-04', 'app-0004', 'application_status_changed', 'Application approved',           'Your 180000 USD equipment loan was approved.',                                '2025-04-10 18:00:00+00', '2025-04-10 16:20:00+00'),
  ('ntf-0005', 'usr-borrower-03', 'app-0005', 'application_status_changed', 'Application approved',           'Your 320000 USD equipment loan was approved.',                                NULL,                     '2025-04-28 10:05:00+00'),
  ('ntf-0006', 'usr-borrower-06', 'app-0009', 'payment_late',               'Payment overdue',                'Your installment of 5000 USD due 2025-05-15 is overdue.',                     NULL,                     '2025-05-16 06:00:00+00'),
  ('ntf-0007', 'usr-lender-demo', 'app-0009', 'payment_late',               'Loan app-0009 is delinquent',    'Two installments of Bluebird Bakery LLC are overdue (10000 USD).',            NULL,                     '2025-05-16 06:00:00+00'),
  ('ntf-0008', 'usr-borrower-01', 'app-0008', 'payment_due',                'Payment due soon',               'Your installment of 7500 USD is due on 2025-06-10.',                          NULL,                     '2025-05-20 06:00:00+00'),
  ('ntf-0009', 'usr-lender-demo', 'app-0011', 'fraud_alert',                'Fraud flag confirmed',           'Bank statement anomaly confirmed on the Northwind Logistics LLC application.', '2025-03-04 10:00:00+00', '2025-03-04 09:40:00+00'),
  ('ntf-0010', 'usr-admin-demo',  NULL,       'system',                     'Scheduled maintenance',          'The platform will be read-only on 2025-06-01 from 02:00 to 03:00 UTC.',       NULL,                     '2025-05-19 12:00:00+00')
ON CONFLICT DO NOTHING;

-- Bank transactions -----------------------------------------------------------------
INSERT INTO bank_transactions (id, borrower_id, application_id, account_name, account_last4, posted_on, description, direction, amount, balance_after, category, created_at) VALUES
  ('btx-01-01', 'usr-borrower-01', 'app-0001', 'Operating account', '3321', '2025-04-01', 'Client payment - Harbor Partners',   'credit', 84000,  212000, 'revenue',   '2025-05-12 10:05:00+00'),
  ('btx-01-02', 'usr-borrower-01', 'app-0001', 'Operating account', '3321', '2025-04-15', 'Payroll',                            'debit',  61000,  151000, 'payroll',   '2025-05-12 10:05:00+00'),
  ('btx-01-03', 'usr-borrower-01', 'app-0001', 'Operating account', '3321', '2025-04-30', 'Office lease',                       'debit',  9500,   141500, 'rent',      '2025-05-12 10:05:00+00'),
  ('btx-02-01', 'usr-borrower-02', NULL,       'Main checking',     '9087', '2025-04-03', 'Freight settlement - GreatLakes Foods', 'credit', 265000, 402000, 'revenue',  '2025-05-01 09:00:00+00'),
  ('btx-02-02', 'usr-borrower-02', NULL,       'Main checking',     '9087', '2025-04-10', 'Diesel fuel cards',                  'debit',  48000,  354000, 'fuel',      '2025-05-01 09:00:00+00'),
  ('btx-02-03', 'usr-borrower-02', NULL,       'Main checking',     '9087', '2025-04-30', 'Loan installment app-0006',          'debit',  12500,  341500, 'debt_service', '2025-05-01 09:00:00+00'),
  ('btx-03-01', 'usr-borrower-03', 'app-0005', 'Corporate account', '5540', '2025-03-20', 'Customer payment - Apex Aerospace',  'credit', 410000, 1220000, 'revenue',  '2025-04-01 13:15:00+00'),
  ('btx-03-02', 'usr-borrower-03', 'app-0005', 'Corporate account', '5540', '2025-03-25', 'Aluminium stock',                    'debit',  138000, 1082000, 'materials', '2025-04-01 13:15:00+00'),
  ('btx-03-03', 'usr-borrower-03', 'app-0005', 'Corporate account', '5540', '2025-03-31', 'Payroll',                            'debit',  295000, 787000, 'payroll',    '2025-04-01 13:15:00+00'),
  ('btx-04-01', 'usr-borrower-04', 'app-0004', 'Farm account',      '1209', '2025-02-28', 'Grain elevator - corn sale',         'credit', 96000,  188000, 'revenue',   '2025-03-18 08:50:00+00'),
  ('btx-04-02', 'usr-borrower-04', 'app-0004', 'Farm account',      '1209', '2025-03-05', 'Seed and fertilizer',                'debit',  41000,  147000, 'materials', '2025-03-18 08:50:00+00'),
  ('btx-04-03', 'usr-borrower-04', 'app-0004', 'Farm account',      '1209', '2025-03-15', 'Crop insurance premium',             'debit',  7200,   139800, 'insurance', '2025-03-18 08:50:00+00'),
  ('btx-05-01', 'usr-borrower-05', 'app-0003', 'Business checking', '6612', '2025-04-02', 'Progress billing - Aurora Schools',  'credit', 318000, 455000, 'revenue',   '2025-04-22 14:05:00+00'),
  ('btx-05-02', 'usr-borrower-05', 'app-0003', 'Business checking', '6612', '2025-04-09', 'Subcontractor - Front Range Steel',  'debit',  176000, 279000, 'subcontractors', '2025-04-22 14:05:00+00'),
  ('btx-05-03', 'usr-borrower-05', 'app-0003', 'Business checking', '6612', '2025-04-16', 'Payroll',                            'debit',  142000, 137000, 'payroll',   '2025-04-22 14:05:00+00'),
  ('btx-06-01', 'usr-borrower-06', 'app-0009', 'Business checking', '7781', '2025-04-30', 'Card settlements - April',           'credit', 98000,  31000,  'revenue',   '2025-05-16 07:00:00+00'),
  ('btx-06-02', 'usr-borrower-06', 'app-0009', 'Business checking', '7781', '2025-05-01', 'Rent - second location',             'debit',  14500,  16500,  'rent',      '2025-05-16 07:00:00+00'),
  ('btx-06-03', 'usr-borrower-06', 'app-0009', 'Business checking', '7781', '2025-05-15', 'Payroll',                            'debit',  21800,  -5300,  'payroll',   '2025-05-16 07:00:00+00')
ON CONFLICT DO NOTHING;

-- Collateral and valuations -----------------------------------------------------------
INSERT INTO collateral_assets (id, application_id, asset_type, description, identifier, location, lien_position, created_at, updated_at) VALUES
  ('col-0001', 'app-0001', 'equipment',           'Large-format printers (2)',                     'SN-HP-LF-88213, SN-HP-LF-88214', 'Philadelphia, PA', 1, '2025-05-12 10:10:00+00', '2025-05-12 10:10:00+00'),
  ('col-0002', 'app-0002', 'equipment',           'Deck ovens and spiral mixers',                  'SN-DO-5512',                      'Burlington, VT',   1, '2025-05-08 09:40:00+00', '2025-05-08 09:40:00+00'),
  ('col-0003', 'app-0003', 'vehicle',             'Four tandem-axle dump trucks (2025)',           'VIN 1M2AX07C5RM000101-104',       'Aurora, CO',       1, '2025-04-22 14:10:00+00', '2025-04-22 14:10:00+00'),
  ('col-0004', 'app-0004', 'equipment',           'Row-crop tractor and center-pivot system',      'SN-JD-8R-410277',                 'Ames, IA',         1, '2025-03-18 09:00:00+00', '2025-03-18 09:00:00+00'),
  ('col-0005', 'app-0005', 'equipment',           '5-axis CNC machining centers (2)',              'SN-DMG-5X-30411, SN-DMG-5X-30412', 'Fremont, CA',     1, '2025-04-01 13:20:00+00', '2025-04-01 13:20:00+00'),
  ('col-0006', 'app-0006', 'vehicle',             'Refrigerated trailers (3)',                     'VIN 1UYVS2531RU000201-203',       'Joliet, IL',       1, '2024-12-02 09:10:00+00', '2024-12-02 09:10:00+00'),
  ('col-0007', 'app-0007', 'real_estate',         'Production building, 42000 sq ft',             'APN 525-1234-056',                'Fremont, CA',      1, '2024-11-25 10:40:00+00', '2024-11-25 10:40:00+00'),
  ('col-0008', 'app-0008', 'inventory',           'Finished goods inventory',                      NULL,                              'Philadelphia, PA', 1, '2024-12-10 11:10:00+00', '2024-12-10 11:10:00+00'),
  ('col-0009', 'app-0009', 'equipment',           'Bakery fit-out: ovens, proofers, display cases', 'SN-BB-FIT-2024',                 'Burlington, VT',   1, '2024-12-18 15:50:00+00', '2024-12-18 15:50:00+00'),
  ('col-0010', 'app-0010', 'real_estate',         'Undeveloped land, 31 acres',                    'APN 1973-22-4-00-012',            'Aurora, CO',       2, '2025-02-03 09:20:00+00', '2025-02-03 09:20:00+00'),
  ('col-0011', 'app-0011', 'accounts_receivable', 'Receivables under 90 days',                     NULL,                              'Joliet, IL',       1, '2025-02-11 10:10:00+00', '2025-02-11 10:10:00+00'),
  ('col-0012', 'app-0012', 'equipment',           'Grain storage bin, 30000 bushels',              NULL,                              'Ames, IA',         1, '2025-01-20 08:10:00+00', '2025-01-20 08:10:00+00')
ON CONFLICT DO NOTHING;

INSERT INTO collateral_valuations (id, asset_id, valued_on, market_value, forced_sale_value, method, appraiser, valued_by, notes, created_at) VALUES
  ('val-0001', 'col-0001', '2025-05-12', 75000,  52000,  'book_value',        NULL,                          NULL,              'Borrower-stated value',              '2025-05-12 10:10:00+00'),
  ('val-0002', 'col-0002', '2025-05-09', 42000,  27000,  'desktop_review',    NULL,                          'usr-lender-demo', NULL,                                 '2025-05-09 15:30:00+00'),
  ('val-0003', 'col-0003', '2025-04-25', 520000, 410000, 'market_comparison', 'Rocky Mountain Truck Appraisers', NULL,          'Dealer quotes for four units',       '2025-04-25 12:00:00+00'),
  ('val-0004', 'col-0004', '2025-03-25', 240000, 180000, 'appraisal',         'Heartland Ag Appraisals',     'usr-lender-demo', NULL,                                 '2025-03-25 12:00:00+00'),
  ('val-0005', 'col-0005', '2025-04-10', 410000, 300000, 'appraisal',         'Bay Area Machinery Valuers',  'usr-lender-demo', NULL,                                 '2025-04-10 12:00:00+00'),
  ('val-0006', 'col-0006', '2024-12-05', 330000, 250000, 'market_comparison', NULL,                          'usr-lender-demo', NULL,                                 '2024-12-05 12:00:00+00'),
  ('val-0007', 'col-0006', '2025-04-01', 315000, 238000, 'desktop_review',    NULL,                          'usr-admin-demo',  'Quarterly revaluation',              '2025-04-01 12:00:00+00'),
  ('val-0008', 'col-0007', '2024-12-01', 850000, 690000, 'appraisal',         'Pacific Commercial Appraisal', NULL,             'Full appraisal with site visit',     '2024-12-01 12:00:00+00'),
  ('val-0009', 'col-0008', '2024-12-12', 210000, 120000, 'book_value',        NULL,                          'usr-lender-demo', NULL,                                 '2024-12-12 12:00:00+00'),
  ('val-0010', 'col-0008', '2025-04-12', 196000, 112000, 'book_value',        NULL,                          'usr-admin-demo',  'Borrowing base certificate, April', '2025-04-12 12:00:00+00'),
  ('val-0011', 'col-0009', '2024-12-20', 125000, 70000,  'appraisal',         'Green Mountain Equipment Appraisal', NULL,       NULL,                                 '2024-12-20 12:00:00+00'),
  ('val-0012', 'col-0009', '2025-05-16', 98000,  52000,  'desktop_review',    NULL,                          'usr-lender-demo', 'Revalued after missed payments',     '2025-05-16 12:00:00+00'),
  ('val-0013', 'col-0010', '2025-02-10', 700000, 455000, 'appraisal',         'Front Range Land Appraisers', NULL,              'Below requested amount',             '2025-02-10 12:00:00+00'),
  ('val-0014', 'col-0011', '2025-02-12', 90000,  54000,  'book_value',        NULL,                          NULL,              'Aging report as supplied',           '2025-02-12 12:00:00+00'),
  ('val-0015', 'col-0012', '2025-01-22', 60000,  38000,  'desktop_review',    NULL,                          'usr-lender-demo', NULL,                                 '2025-01-22 12:00:00+00')
ON CONFLICT DO NOTHING;

-- Risk scores and fraud flags ------------------------------------------------------------
INSERT INTO risk_scores (id, application_id, score, risk_grade, probability_of_default, model_version, factors, scored_at) VALUES
  ('rsk-0002',   'app-0002', 602, 'C', 0.0610, 'al-risk-2.3', '{"dscr": 1.21, "years_in_business": 4}',          '2025-05-09 15:05:00+00'),
  ('rsk-0003',   'app-0003', 655, 'C', 0.0420, 'al-risk-2.3', '{"dscr": 1.34, "ltv": 0.77}',                     '2025-04-22 14:15:00+00'),
  ('rsk-0004',   'app-0004', 748, 'B', 0.0210, 'al-risk-2.3', '{"dscr": 1.62, "ltv": 0.75}',                     '2025-03-18 09:05:00+00'),
  ('rsk-0005',   'app-0005', 812, 'A', 0.0090, 'al-risk-2.3', '{"dscr": 2.05, "ltv": 0.78}',                     '2025-04-01 13:25:00+00'),
  ('rsk-0006',   'app-0006', 771, 'B', 0.0160, 'al-risk-2.2', '{"dscr": 1.74, "ltv": 0.76}',                     '2024-12-02 09:15:00+00'),
  ('rsk-0007',   'app-0007', 834, 'A', 0.0070, 'al-risk-2.2', '{"dscr": 2.31, "ltv": 0.59}',                     '2024-11-25 10:45:00+00'),
  ('rsk-0008',   'app-0008', 706, 'B', 0.0280, 'al-risk-2.2', '{"dscr": 1.48, "ltv": 0.71}',                     '2024-12-10 11:15:00+00'),
  ('rsk-0009',   'app-0009', 618, 'C', 0.0550, 'al-risk-2.2', '{"dscr": 1.19, "ltv": 0.80}',                     '2024-12-18 15:55:00+00'),
  ('rsk-0009-b', 'app-0009', 471, 'D', 0.1840, 'al-risk-2.3', '{"dscr": 0.88, "days_past_due": 35}',             '2025-05-20 06:00:00+00'),
  ('rsk-0010',   'app-0010', 512, 'D', 0.1320, 'al-risk-2.2', '{"dscr": 0.94, "ltv": 1.29}',                     '2025-02-03 09:25:00+00'),
  ('rsk-0011',   'app-0011', 388, 'E', 0.3100, 'al-risk-2.2', '{"dscr": 1.05, "statement_anomalies": 3}',        '2025-02-11 10:15:00+00'),
  ('rsk-0012',   'app-0012', 689, 'C', 0.0330, 'al-risk-2.2', '{"dscr": 1.41, "ltv": 0.75}',                     '2025-01-20 08:15:00+00')
ON CONFLICT DO NOTHING;

INSERT INTO fraud_flags (id, application_id, flag_type, severity, status, description, raised_by, resolved_by, raised_at, resolved_at) VALUES
  ('frd-0001', 'app-0011', 'bank_statement_anomaly', 'high',   'confirmed',     'Deposits on the uploaded statements do not match the bank feed.', NULL,             'usr-lender-demo', '2025-02-12 08:00:00+00', '2025-03-04 09:30:00+00'),
  ('frd-0002', 'app-0003', 'identity_mismatch',      'medium', 'cleared',       'Signer name differs from the registered officer list.',           'usr-admin-demo', 'usr-lender-demo', '2025-04-23 10:00:00+00', '2025-04-30 15:00:00+00'),
  ('frd-0003', 'app-0010', 'duplicate_collateral',   'high',   'investigating', 'Parcel already pledged as first lien elsewhere.',                 NULL,             NULL,              '2025-02-05 09:00:00+00', NULL),
  ('frd-0004', 'app-0002', 'velocity',               'low',    'open',          'Three applications from the same device within an hour.',         NULL,             NULL,              '2025-05-09 15:10:00+00', NULL)
ON CONFLICT DO NOTHING;

-- Financial statements (income statements and balance sheets) ---------------------------------
INSERT INTO financial_statements (id, borrower_id, application_id, statement_type, period_start, period_end, currency, source, created_at) VALUES
  ('fs-03-is-2024', 'usr-borrower-03', 'app-0005', 'income_statement', '2024-01-01', '2024-12-31', 'USD', 'accounting_integration', '2025-04-01 13:30:00+00'),
  ('fs-03-bs-2024', 'usr-borrower-03', 'app-0005', 'balance_sheet',    NULL,         '2024-12-31', 'USD', 'accounting_integration', '2025-04-01 13:30:00+00'),
  ('fs-02-is-2024', 'usr-borrower-02', 'app-0006', 'income_statement', '2024-01-01', '2024-12-31', 'USD', 'borrower_upload',        '2024-12-02 09:20:00+00'),
  ('fs-02-bs-2024', 'usr-borrower-02', 'app-0006', 'balance_sheet',    NULL,         '2024-12-31', 'USD', 'borrower_upload',        '2024-12-02 09:20:00+00'),
  ('fs-06-is-2024', 'usr-borrower-06', 'app-0009', 'income_statement', '2024-01-01', '2024-12-31', 'USD', 'lender_entry',           '2024-12-18 16:00:00+00')
ON CONFLICT DO NOTHING;

INSERT INTO financial_statement_lines (id, statement_id, line_number, section, line_item, amount) VALUES
  ('fsl-03-is-01', 'fs-03-is-2024', 1, 'revenue',            'Machining services',         14800000),
  ('fsl-03-is-02', 'fs-03-is-2024', 2, 'cost_of_goods_sold', 'Materials and direct labor', 9620000),
  ('fsl-03-is-03', 'fs-03-is-2024', 3, 'operating_expense',  'Selling, general and administrative', 2460000),
  ('fsl-03-is-04', 'fs-03-is-2024', 4, 'operating_expense',  'Depreciation',               610000),
  ('fsl-03-is-05', 'fs-03-is-2024', 5, 'other_expense',      'Interest expense',           185000),
  ('fsl-03-is-06', 'fs-03-is-2024', 6, 'tax',                'Income tax',                 410000),
  ('fsl-03-bs-01', 'fs-03-bs-2024', 1, 'asset',              'Cash',                       1150000),
  ('fsl-03-bs-02', 'fs-03-bs-2024', 2, 'asset',              'Accounts receivable',        2240000),
  ('fsl-03-bs-03', 'fs-03-bs-2024', 3, 'asset',              'Machinery and equipment',    6900000),
  ('fsl-03-bs-04', 'fs-03-bs-2024', 4, 'liability',          'Accounts payable',           1380000),
  ('fsl-03-bs-05', 'fs-03-bs-2024', 5, 'liability',          'Term debt',                  2900000),
  ('fsl-03-bs-06', 'fs-03-bs-2024', 6, 'equity',             'Shareholders equity',        6010000),
  ('fsl-02-is-01', 'fs-02-is-2024', 1, 'revenue',            'Freight revenue',            9400000),
  ('fsl-02-is-02', 'fs-02-is-2024', 2, 'cost_of_goods_sold', 'Fuel, drivers and tolls',    6950000),
  ('fsl-02-is-03', 'fs-02-is-2024', 3, 'operating_expense',  'Dispatch and administration', 1320000),
  ('fsl-02-is-04', 'fs-02-is-2024', 4, 'other_expense',      'Interest expense',           240000),
  ('fsl-02-is-05', 'fs-02-is-2024', 5, 'tax',                'Income tax',                 190000),
  ('fsl-02-bs-01', 'fs-02-bs-2024', 1, 'asset',              'Cash',                       402000),
  ('fsl-02-bs-02', 'fs-02-bs-2024', 2, 'asset',              'Tractors and trailers',      4100000),
  ('fsl-02-bs-03', 'fs-02-bs-2024', 3, 'liability',          'Equipment loans',            2350000),
  ('fsl-02-bs-04', 'fs-02-bs-2024', 4, 'equity',             'Members equity',             2152000),
  ('fsl-06-is-01', 'fs-06-is-2024', 1, 'revenue',            'Retail and wholesale sales', 1350000),
  ('fsl-06-is-02', 'fs-06-is-2024', 2, 'cost_of_goods_sold', 'Ingredients and packaging',  540000),
  ('fsl-06-is-03', 'fs-06-is-2024', 3, 'operating_expense',  'Payroll',                    520000),
  ('fsl-06-is-04', 'fs-06-is-2024', 4, 'operating_expense',  'Rent and utilities',         196000),
  ('fsl-06-is-05', 'fs-06-is-2024', 5, 'other_income',       'Catering',                   38000),
  ('fsl-06-is-06', 'fs-06-is-2024', 6, 'tax',                'Income tax',                 26000)
ON CONFLICT DO NOTHING;
