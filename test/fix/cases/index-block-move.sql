-- An index built inside an explicit block: moved after the COMMIT (nothing later in the block uses it).
BEGIN;
ALTER TABLE orders ADD COLUMN coupon text;
-- speeds up the user lookup
CREATE INDEX users_name_idx ON users (name);
CREATE INDEX ON users (status); -- unnamed
ALTER TABLE orders ADD COLUMN channel text;
COMMIT;
SELECT 1;
