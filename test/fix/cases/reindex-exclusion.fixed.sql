-- REINDEX TABLE CONCURRENTLY silently skips exclusion constraint indexes: no fix for bookings.
SET lock_timeout = '2s';
REINDEX TABLE bookings;
REINDEX TABLE CONCURRENTLY users;
