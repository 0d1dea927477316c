-- Nothing changes on SQLite: its twin in postgres/ leaves room in the pages of the rows that ingest counts up in place.
-- The number is kept on both engines so that a version means the same tables on either.
SELECT 1;
