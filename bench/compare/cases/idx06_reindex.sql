-- case: REINDEX without CONCURRENTLY
-- expect: blocking-index-build
-- doc: REINDEX "locks out writes but not reads of the index's parent table"; ACCESS EXCLUSIVE on the index.
SET lock_timeout = '2s';
REINDEX INDEX users_email_idx;
