-- case: varchar(50) -> varchar(100)
-- expect: safe
-- doc: increasing a varchar length limit needs no rewrite (and the index on email is kept).
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email TYPE varchar(100);
