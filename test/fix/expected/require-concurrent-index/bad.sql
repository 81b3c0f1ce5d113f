-- expect: 4:1
-- expect: 6:1
-- A plain index build on an existing table blocks writes.
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx
  ON orders (note);
