-- no-history
-- users existed before this file (no source defines it). It is renamed, and a new users is
-- created: an index on the new users is free, an index on the renamed old one is not.
SET lock_timeout = '2s';
ALTER TABLE users RENAME TO users_old;
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_old_email_idx ON users_old (email);
-- expect: 7:1
