-- Resolving in a release (PRODUCT §15). With resolved_in_release, only an event from a newer release reopens
-- the issue; with resolved_in_next_release, only one from a release newer than resolved_after_release (the
-- project's newest release when it was resolved; NULL when it had none). An event without a release, and
-- any event on an issue resolved without a release, reopens it as before.
ALTER TABLE issues ADD COLUMN resolved_in_release TEXT;
ALTER TABLE issues ADD COLUMN resolved_in_next_release INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN resolved_after_release TEXT;
-- The resolution a regression undid, as the API shows it (JSON), so whoever fixes it next sees which fix failed.
ALTER TABLE issues ADD COLUMN previous_resolution TEXT;

-- What happened to an issue, newest last, written in the same transaction as the change it records.
-- actor is who did it through which door (the web UI's admin, the REST API, an MCP agent); NULL for ingest.
-- release: the resolving release of 'resolved', the event's release of 'regressed'.
-- text: the note of 'resolved' and 'note', the reason of 'ignored'.
CREATE TABLE issue_activity (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL,
    issue_id        INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('created', 'resolved', 'ignored', 'reopened', 'regressed', 'note')),
    actor           TEXT CHECK (actor IN ('admin', 'api', 'mcp')),
    event_id        TEXT,
    release         TEXT,
    in_next_release INTEGER NOT NULL DEFAULT 0,
    after_release   TEXT,
    commit_sha      TEXT,
    text            TEXT
);
CREATE INDEX issue_activity_by_issue ON issue_activity (issue_id, id DESC);

-- Issues made before the log existed start with what their rows still tell: when they were made, and
-- their resolution or ignoring (by whom is not known).
INSERT INTO issue_activity (project_id, issue_id, at, kind) SELECT project_id, id, first_seen, 'created' FROM issues;
INSERT INTO issue_activity (project_id, issue_id, at, kind, commit_sha, text)
    SELECT project_id, id, resolved_at, 'resolved', resolved_commit, resolved_note FROM issues WHERE status = 'resolved' AND resolved_at IS NOT NULL;
