-- case: ADD PRIMARY KEY USING INDEX on a nullable column
-- expect: validation-scan-under-strong-lock
-- doc: ALTER TABLE: "If PRIMARY KEY is specified, and the index's columns are not already marked NOT NULL,
--      then this command will attempt to do ALTER COLUMN SET NOT NULL against each such column. That
--      requires a full table scan to verify the column(s) contain no nulls."
SET lock_timeout = '2s';
CREATE UNIQUE INDEX CONCURRENTLY devices_serial_idx ON devices (serial_no);
ALTER TABLE devices ADD CONSTRAINT devices_pkey PRIMARY KEY USING INDEX devices_serial_idx;
