-- expect: 4:1
-- SET LOCAL outside a transaction block has no effect.
SET lock_timeout = '2s';
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
