-- expect: 3:1
-- Without ONLY, the index is built on every partition under SHARE.
SET lock_timeout = '2s';
CREATE INDEX measurements_value_idx ON measurements (value);
