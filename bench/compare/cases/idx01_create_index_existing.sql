-- case: plain CREATE INDEX on an existing large table
-- expect: blocking-index-build
-- doc: CREATE INDEX "locks out writes (but not reads) on the table until it's done"; SHARE lock.
SET lock_timeout = '2s';
CREATE INDEX users_name_idx ON users (name);
