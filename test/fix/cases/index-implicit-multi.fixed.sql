-- transaction: implicit
-- Several statements in one query string share an implicit transaction: no CONCURRENTLY fix.
SET lock_timeout = '2s';
CREATE INDEX users_name_idx ON users (name);
