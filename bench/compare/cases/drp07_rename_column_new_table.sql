-- case: RENAME COLUMN of a table created in the same file
-- expect: safe
CREATE TABLE promos (id bigint PRIMARY KEY, titel text);
ALTER TABLE promos RENAME COLUMN titel TO title;
