-- case: CREATE INDEX on a partitioned parent (CONCURRENTLY is not supported there)
-- expect: blocking-index-build
-- doc: CREATE INDEX builds the index on every partition under SHARE locks;
--      "Concurrent builds for indexes on partitioned tables are currently not supported."
SET lock_timeout = '2s';
CREATE INDEX events_created_idx ON events (created_at);
