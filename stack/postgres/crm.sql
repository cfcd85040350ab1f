-- The CRM silo of the demo: customers and their addresses. Applied by `stack:up` (idempotent: IF NOT EXISTS).
-- Column types are chosen to exercise Debezium's real encodings: numeric (Decimal bytes), date (days since epoch),
-- timestamptz (ZonedTimestamp text), timestamp (MicroTimestamp), timestamp(3) (Timestamp, ms), time (MicroTime),
-- text[] (array), jsonb (Json text).
CREATE TABLE IF NOT EXISTS customers (
  customer_id       text PRIMARY KEY,
  first_name        text NOT NULL,
  last_name         text NOT NULL,
  email             text,
  segment           text,
  country           text,
  twitter_id        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  birth_date        date,
  credit_limit      numeric(12,2),
  marketing_opt_in  boolean,
  tags              text[],
  profile           jsonb,
  last_contact_at   timestamp,
  updated_at        timestamp(3),
  call_window_start time
);
-- FULL: updates and deletes carry the whole old row in `before`, so graph map can remove edges the new row no
-- longer implies (e.g. a twitter_id set to NULL drops the hasAccount edge).
ALTER TABLE customers REPLICA IDENTITY FULL;

CREATE TABLE IF NOT EXISTS addresses (
  address_id   integer PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES customers (customer_id) ON UPDATE CASCADE ON DELETE CASCADE,
  kind         text NOT NULL,
  street       text,
  city         text,
  postal_code  text,
  country      text
);
ALTER TABLE addresses REPLICA IDENTITY FULL;

-- Same columns as customers; only scripts/capture-debezium.js writes here (and alters it: ADD COLUMN, unknown types),
-- so capturing test fixtures never disturbs the demo's tables.
CREATE TABLE IF NOT EXISTS capture_customers (LIKE customers INCLUDING ALL);
ALTER TABLE capture_customers REPLICA IDENTITY FULL;
