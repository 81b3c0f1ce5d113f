-- expect: 5:1
-- expect: 7:1
-- expect: 9:1
-- No lock_timeout: while these wait for their lock, every query on the table queues.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
-- a plain CREATE INDEX takes SHARE, which blocks writes
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
-- a foreign key also locks the referenced table (SHARE ROW EXCLUSIVE)
ALTER TABLE orders ADD CONSTRAINT orders_user_fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
