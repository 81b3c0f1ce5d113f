-- case: DETACH PARTITION without CONCURRENTLY, lock_timeout set
-- expect: safe
-- doc: takes ACCESS EXCLUSIVE on the parent but only for a catalog change (no scan, no rewrite);
--      with lock_timeout the wait is bounded. None of the neutral hazards applies.
SET lock_timeout = '2s';
ALTER TABLE events DETACH PARTITION events_2023;
