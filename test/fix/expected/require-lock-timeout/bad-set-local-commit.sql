-- expect: 9:1
SET lock_timeout = '2s';
BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
ALTER TABLE orders ADD COLUMN coupon text;
COMMIT;
-- SET LOCAL ended with the transaction
BEGIN;
ALTER TABLE users ADD COLUMN tier text;
COMMIT;
