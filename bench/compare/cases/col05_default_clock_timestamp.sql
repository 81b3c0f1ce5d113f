-- case: ADD COLUMN ... DEFAULT clock_timestamp()
-- expect: table-rewrite
-- doc: ALTER TABLE notes use clock_timestamp() as the example of a volatile DEFAULT that rewrites the table.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();
