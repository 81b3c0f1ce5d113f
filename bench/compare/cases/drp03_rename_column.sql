-- case: RENAME COLUMN
-- expect: column-rename
SET lock_timeout = '2s';
ALTER TABLE users RENAME COLUMN name TO full_name;
