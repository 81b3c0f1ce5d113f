-- case: ADD COLUMN ... DEFAULT now()
-- expect: safe
-- doc: now() is STABLE, not volatile; ALTER TABLE notes: only a volatile DEFAULT forces a rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();
