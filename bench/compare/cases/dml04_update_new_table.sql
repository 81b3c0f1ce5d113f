-- case: UPDATE of a table created in the same file
-- expect: safe
CREATE TABLE plan_limits (plan text PRIMARY KEY, seats int);
INSERT INTO plan_limits VALUES ('free', 1), ('pro', 10);
UPDATE plan_limits SET seats = seats + 1;
