-- case: CREATE INDEX on a table created in the same file
-- expect: safe
-- doc: the table is new and empty; nobody else can hold or wait for locks on it.
CREATE TABLE widgets (id bigint PRIMARY KEY, label text);
CREATE INDEX widgets_label_idx ON widgets (label);
