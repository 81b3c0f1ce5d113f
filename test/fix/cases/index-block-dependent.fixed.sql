-- A later statement of the block uses the index: moving it out would change the migration.
SET lock_timeout = '2s';
BEGIN;
CREATE UNIQUE INDEX users_email_uidx ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_uidx;
COMMIT;
BEGIN;
CREATE INDEX users_status_idx ON users (status);
-- a data change may fire triggers that read anything
UPDATE orders SET note = note;
COMMIT;
