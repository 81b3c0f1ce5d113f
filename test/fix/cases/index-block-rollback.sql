-- A block that is rolled back never builds the index: nothing to move.
BEGIN;
CREATE INDEX users_name_idx ON users (name);
ROLLBACK;
