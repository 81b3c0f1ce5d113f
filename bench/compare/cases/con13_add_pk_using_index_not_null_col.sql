-- case: ADD PRIMARY KEY USING INDEX on a column that is already NOT NULL
-- expect: safe
SET lock_timeout = '2s';
CREATE UNIQUE INDEX CONCURRENTLY sessions_id_idx ON sessions (id);
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY USING INDEX sessions_id_idx;
