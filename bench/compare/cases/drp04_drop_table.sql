-- case: DROP TABLE of an existing table
-- expect: table-drop
SET lock_timeout = '2s';
DROP TABLE legacy_reports;
