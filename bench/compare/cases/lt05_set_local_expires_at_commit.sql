-- case: SET LOCAL in one transaction, second ALTER after COMMIT
-- expect: missing-lock-timeout
-- doc: SET LOCAL effects last only until the end of the current transaction.
BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
COMMIT;
ALTER TABLE orders ADD COLUMN memo text;
