-- CRLF line endings are kept.
SET lock_timeout = '2s';
BEGIN;
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
