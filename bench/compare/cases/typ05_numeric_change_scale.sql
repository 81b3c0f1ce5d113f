-- case: numeric(10,2) -> numeric(12,4) (scale change, not narrowing)
-- expect: table-rewrite
-- doc: a scale change alters the stored values -> rewrite. Integer digits stay 8, so not narrowing.
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN balance TYPE numeric(12,4);
