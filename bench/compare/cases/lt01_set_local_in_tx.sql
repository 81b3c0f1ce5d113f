-- case: SET LOCAL lock_timeout inside the transaction
-- expect: safe
BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
COMMIT;
