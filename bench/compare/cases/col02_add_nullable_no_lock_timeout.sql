-- case: ADD COLUMN nullable, no default, no lock_timeout
-- expect: missing-lock-timeout
-- doc: ADD COLUMN takes ACCESS EXCLUSIVE (conflicts with everything); no lock_timeout set.
ALTER TABLE users ADD COLUMN bio text;
