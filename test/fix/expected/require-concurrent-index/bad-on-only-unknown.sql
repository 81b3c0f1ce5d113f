-- expect: 4:1
-- No source defined sensor_data: ON ONLY builds nothing if it is partitioned, the whole index
-- if it is not. Reported (as a warning), saying which is unknown.
SET lock_timeout = '2s';
CREATE INDEX sensor_data_at_idx ON ONLY sensor_data (at);
