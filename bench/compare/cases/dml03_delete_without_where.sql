-- case: DELETE of every row of a large table
-- expect: unbatched-dml
DELETE FROM audit_log;
