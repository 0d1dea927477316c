-- Twin of the SQLite migration 0011: release:latest reads the releases table in version order now, so the
-- partial index of release tag rows has no reader left and ingest stops paying for it.
DROP INDEX IF EXISTS issue_tags_releases;
