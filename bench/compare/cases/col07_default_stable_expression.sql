-- case: ADD COLUMN ... DEFAULT now() + interval (a STABLE expression)
-- expect: safe
-- doc: timestamptz + interval is STABLE; the whole default is non-volatile -> no rewrite.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN trial_ends_at timestamptz DEFAULT (now() + interval '30 days');
