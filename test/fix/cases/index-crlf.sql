-- CRLF line endings are kept.
BEGIN;
CREATE INDEX users_name_idx ON users (name);
COMMIT;
