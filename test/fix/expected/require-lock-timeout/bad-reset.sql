-- expect: 8:1
-- expect: 11:1
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
-- RESET puts it back to the server default (none)
RESET lock_timeout;
-- bad: no timeout any more
ALTER TABLE users DROP COLUMN plan;
SET lock_timeout = 0;
-- bad: 0 disables the timeout
ALTER TABLE orders ADD COLUMN coupon text;
