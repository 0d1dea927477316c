-- Each stored map or minified file's SHA-256. On PostgreSQL the file's bytes live in the database, content-addressed by
-- this hash (postgres/0014); on SQLite they stay under sourcemaps/ and the hash is recorded all the same, so an archive
-- from either engine carries it. Rows stored before this migration have none (NULL); a restore into PostgreSQL computes it.
ALTER TABLE source_files ADD COLUMN sha256 TEXT;
CREATE INDEX source_files_by_sha256 ON source_files (sha256) WHERE sha256 IS NOT NULL;
