-- expect: 3:1
-- users is a plain table: ONLY changes nothing, the index is built under SHARE.
SET lock_timeout = '2s';
CREATE INDEX users_name_idx ON ONLY users (name);
