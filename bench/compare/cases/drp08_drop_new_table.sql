-- case: DROP TABLE of a table created in the same file
-- expect: safe
CREATE TABLE tmp_import (id bigint, raw text);
DROP TABLE tmp_import;
