-- case: UPDATE with a point predicate on the primary key
-- expect: safe
UPDATE users SET status = 'banned' WHERE id = 7;
