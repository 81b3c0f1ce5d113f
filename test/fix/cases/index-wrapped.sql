-- transaction: wrapped
-- The framework wraps the file in a transaction: CONCURRENTLY would fail, so no fix.
CREATE INDEX users_name_idx ON users (name);
