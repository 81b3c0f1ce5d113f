-- An index built inside an explicit block: moved after the COMMIT (nothing later in the block uses it).
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE orders ADD COLUMN coupon text;
ALTER TABLE orders ADD COLUMN channel text;
COMMIT;
-- speeds up the user lookup
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
CREATE INDEX CONCURRENTLY ON users (status); -- unnamed
SELECT 1;
