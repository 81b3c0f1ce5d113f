-- expect: 7:1
-- expect: 8:1
-- expect: 9:1
-- expect: 10:1
-- expect: 11:1
-- Outside a transaction, a re-run after a partial failure trips over these.
SET lock_timeout = '2s';
CREATE TABLE IF NOT EXISTS coupons (id bigint);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;
ALTER TABLE users DROP COLUMN IF EXISTS bio;
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
