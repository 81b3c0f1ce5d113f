-- case: DELETE with a point predicate on the primary key
-- expect: safe
DELETE FROM users WHERE id = 42;
