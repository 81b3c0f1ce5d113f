-- case: CREATE UNIQUE INDEX without CONCURRENTLY on an existing table
-- expect: blocking-index-build
SET lock_timeout = '2s';
CREATE UNIQUE INDEX devices_serial_idx ON devices (serial_no);
