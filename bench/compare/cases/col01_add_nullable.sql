-- case: ADD COLUMN nullable, no default, lock_timeout set
-- expect: safe
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
