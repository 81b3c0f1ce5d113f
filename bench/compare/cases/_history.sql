-- Schema context for the cases: every table here is assumed to already exist
-- and to be large (created by earlier migrations). Not a case itself.
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id bigint PRIMARY KEY,
  email varchar(50),
  nickname varchar(50),
  name text,
  org_id bigint,
  age int,
  balance numeric(10,2),
  status text,
  legacy_flag boolean,
  created_at timestamptz
);
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint,
  qty int,
  total bigint,
  amount numeric(10,2),
  note varchar(200),
  created_at timestamptz
);
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;
CREATE TABLE sessions (id bigint NOT NULL, token text);
CREATE TABLE devices (serial_no text, user_id bigint);
CREATE TABLE events (id bigint, payload jsonb, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id bigint, payload jsonb, created_at timestamptz NOT NULL);
CREATE TABLE events_2026 (id bigint, payload jsonb, created_at timestamptz NOT NULL);
CREATE UNLOGGED TABLE staging_imports (id bigint, data text);
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE MATERIALIZED VIEW user_stats AS SELECT org_id, count(*) AS n FROM users GROUP BY org_id;
CREATE UNIQUE INDEX user_stats_org_idx ON user_stats (org_id);
CREATE TABLE audit_log (id bigint PRIMARY KEY, msg text);
CREATE TABLE legacy_reports (id bigint PRIMARY KEY, body text);
