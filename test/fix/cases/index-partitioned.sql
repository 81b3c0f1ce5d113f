-- CREATE INDEX CONCURRENTLY does not support partitioned tables.
SET lock_timeout = '2s';
CREATE INDEX events_created_at_idx ON events (created_at);
