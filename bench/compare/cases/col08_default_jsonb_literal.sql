-- case: ADD COLUMN ... DEFAULT '{}'::jsonb
-- expect: safe
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN prefs jsonb DEFAULT '{}'::jsonb;
