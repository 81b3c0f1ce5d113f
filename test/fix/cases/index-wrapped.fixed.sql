-- transaction: wrapped
-- The framework wraps the file in a transaction: CONCURRENTLY would fail, so no fix.
SET lock_timeout = '2s';
CREATE INDEX users_name_idx ON users (name);
