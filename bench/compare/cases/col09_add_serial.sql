-- case: ADD COLUMN serial
-- expect: table-rewrite
-- doc: serial = DEFAULT nextval(...), a volatile default -> every row is filled in -> rewrite.
SET lock_timeout = '2s';
ALTER TABLE audit_log ADD COLUMN seq serial;
