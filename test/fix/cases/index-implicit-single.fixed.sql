-- transaction: implicit
-- One statement sent as one query string runs outside a transaction: CONCURRENTLY works,
-- but a lock_timeout header would make it two statements in one implicit transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
