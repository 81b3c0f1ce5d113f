-- case: ADD UNIQUE without USING INDEX
-- expect: blocking-index-build
-- doc: the unique index is built while ALTER TABLE holds its lock on the table.
SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
