-- expect: 24:1
-- expect: 25:1
-- expect: 26:1
-- expect: 27:1
-- expect: 28:1
-- expect: 29:1
-- expect: 30:1
-- expect: 31:1
-- expect: 32:1
-- expect: 33:1
-- expect: 34:1
-- expect: 35:1
-- expect: 36:1
-- expect: 37:1
-- expect: 38:1
-- expect: 39:1
-- expect: 40:1
-- expect: 41:1
-- expect: 43:1
-- expect: 46:1
-- expect: 49:1
-- Each waits for a lock that blocks reads or writes of an existing table, with no lock_timeout
-- (ATTACH: ACCESS EXCLUSIVE on the partition's index, which every query planned on it needs).
SET lock_timeout = '2s';
ALTER TABLE users REPLICA IDENTITY FULL;
ALTER TABLE notes INHERIT tickets;
ALTER TABLE notes NO INHERIT tickets;
ALTER TABLE users ALTER COLUMN bio SET STORAGE EXTERNAL;
ALTER TABLE users ALTER COLUMN bio SET COMPRESSION pglz;
ALTER TABLE orders ALTER CONSTRAINT orders_user_id_fkey DEFERRABLE;
ALTER TABLE orders RENAME CONSTRAINT orders_pkey TO orders_pk;
ALTER INDEX orders_note_fts_idx SET (fastupdate = off);
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION audit_row();
ALTER TABLE orders DISABLE TRIGGER orders_touch;
ALTER TABLE orders ENABLE TRIGGER orders_touch;
ALTER TRIGGER orders_touch ON orders RENAME TO orders_touched;
DROP TRIGGER orders_touched ON orders;
CREATE POLICY notes_all ON notes USING (true);
DROP POLICY notes_all ON notes;
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER INDEX measurements_id_idx ATTACH PARTITION measurements_2024_id_idx;
BEGIN;
LOCK TABLE orders IN SHARE MODE;
COMMIT;
BEGIN;
LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE;
COMMIT;
BEGIN;
LOCK TABLE orders;
COMMIT;
