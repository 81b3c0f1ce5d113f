-- case: ADD CHECK ... NOT VALID only
-- expect: safe
SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age >= 0) NOT VALID;
