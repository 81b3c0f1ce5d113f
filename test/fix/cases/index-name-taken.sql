-- users_email_idx already exists: IF NOT EXISTS would turn the failure into a silent no-op, so no fix.
SET lock_timeout = '2s';
CREATE INDEX users_email_idx ON users (email, name);
