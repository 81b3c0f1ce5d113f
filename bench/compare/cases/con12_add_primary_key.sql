-- case: ADD PRIMARY KEY without USING INDEX (column already NOT NULL)
-- expect: blocking-index-build
SET lock_timeout = '2s';
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);
