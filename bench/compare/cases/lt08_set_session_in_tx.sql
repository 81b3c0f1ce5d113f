-- case: plain SET lock_timeout inside BEGIN (session-level, applies to the rest of the transaction)
-- expect: safe
BEGIN;
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
COMMIT;
