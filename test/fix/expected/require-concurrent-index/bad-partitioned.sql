-- expect: 3:1
-- events is partitioned (see _history.sql): CONCURRENTLY is not supported there.
SET lock_timeout = '2s';
CREATE INDEX events_payload_idx ON events (id);
