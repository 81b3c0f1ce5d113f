-- case: UPDATE of every row of a large table in one statement
-- expect: unbatched-dml
UPDATE users SET status = 'active';
