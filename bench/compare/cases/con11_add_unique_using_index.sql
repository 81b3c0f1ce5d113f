-- case: ADD UNIQUE USING INDEX after building the index concurrently
-- expect: safe
SET lock_timeout = '2s';
CREATE UNIQUE INDEX CONCURRENTLY devices_serial_idx ON devices (serial_no);
ALTER TABLE devices ADD CONSTRAINT devices_serial_key UNIQUE USING INDEX devices_serial_idx;
