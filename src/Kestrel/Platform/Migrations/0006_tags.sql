-- Tags per issue (PRODUCT §15): for each tag value any event of an issue had, how many of its events had it
-- and when it was first and last seen (Unix ms, like the issue's own times). Kept by the writer with the
-- events, aggregated per request; like issues.event_count these are totals, so retention does not lower them.
-- The primary key answers the facets of one issue and "did this issue ever see key=value".
CREATE TABLE issue_tags (
    issue_id   INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    project_id INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;

-- A search term key:value finds its issues here instead of probing every issue of the project.
CREATE INDEX issue_tags_by_value ON issue_tags (project_id, key, value);

-- release:latest is the release a project saw first most recently; only release rows are in this index.
CREATE INDEX issue_tags_releases ON issue_tags (project_id, first_seen) WHERE key = 'release';

-- users_affected counts the issue's distinct user tag values (exact: one per issue_tags row of key 'user').
-- first_release and last_release are the release of the first and of the latest event that had one.
ALTER TABLE issues ADD COLUMN users_affected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN first_release TEXT;
ALTER TABLE issues ADD COLUMN last_release TEXT;

-- sort=users pages through this index as the other sorts do through theirs (0004).
CREATE INDEX issues_by_status_users ON issues (project_id, status, users_affected DESC, id DESC);
