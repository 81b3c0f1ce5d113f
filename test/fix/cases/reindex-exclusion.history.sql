CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));
