-- release:latest is now the project's newest release in version order (the releases table, as the regression
-- rule orders them), no longer the release first seen most recently in issue_tags, so the partial index that
-- answered that question has no reader left: dropping it saves ingest an index write per new release row.
DROP INDEX IF EXISTS issue_tags_releases;
