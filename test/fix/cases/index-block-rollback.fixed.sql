-- A block that is rolled back never builds the index: nothing to move.
SET lock_timeout = '2s';
BEGIN;
CREATE INDEX users_name_idx ON users (name);
ROLLBACK;
