-- Admin sessions of the web UI. The cookie carries a random id; only its SHA-256 is stored, so a
-- copy of the database (a backup, say) signs no one in. Logging out deletes the row.
CREATE TABLE admin_sessions (
    id_hash    BLOB PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The issue list shows one status of one project at a time: without the status in the index, a
-- project with many resolved issues made the Open tab walk past all of them.
CREATE INDEX issues_by_status_last_seen ON issues (project_id, status, last_seen DESC, id DESC);
