-- enable: prefer-robust-stmts
-- Two rules fix the same spot: one per pass, the result has both.
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
