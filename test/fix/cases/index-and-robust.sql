-- enable: prefer-robust-stmts
-- Two rules fix the same spot: one per pass, the result has both.
SET lock_timeout = '2s';
CREATE INDEX users_name_idx ON users (name);
DROP INDEX users_email_idx;
