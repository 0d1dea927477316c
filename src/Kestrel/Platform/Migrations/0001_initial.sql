-- Times are Unix milliseconds (UTC). Secret tokens are stored only as SHA-256 hashes.
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    public_key  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE issues (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects (id),
    fingerprint      TEXT NOT NULL,
    grouping_version TEXT NOT NULL,
    title            TEXT NOT NULL,
    type             TEXT NOT NULL,
    culprit          TEXT NOT NULL,
    level            TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored')),
    event_count      INTEGER NOT NULL,
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    regressed_at     INTEGER,
    resolved_commit  TEXT,
    resolved_note    TEXT,
    resolved_at      INTEGER,
    ignore_reason    TEXT,
    UNIQUE (project_id, fingerprint)
);
CREATE INDEX issues_by_last_seen ON issues (project_id, last_seen DESC, id DESC);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL,
    issue_id    INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    level       TEXT NOT NULL,
    payload     BLOB NOT NULL  -- the normalised event: UTF-8 JSON, Brotli-compressed
);
CREATE UNIQUE INDEX events_by_event_id ON events (project_id, event_id);
CREATE INDEX events_by_issue ON events (issue_id, id DESC);

-- Events per issue per hour: trends and charts without scanning events.
CREATE TABLE issue_hourly (
    issue_id INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (issue_id, hour)
) WITHOUT ROWID;
