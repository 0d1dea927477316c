-- PostgreSQL twin of ../0004_web_ui.sql.
-- Admin sessions of the web UI; only the SHA-256 of the cookie's random id is stored.
CREATE TABLE admin_sessions (
    id_hash    bytea PRIMARY KEY,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);

CREATE INDEX issues_by_status_last_seen ON issues (project_id, status, last_seen DESC, id DESC);
CREATE INDEX issues_by_status_first_seen ON issues (project_id, status, first_seen DESC, id DESC);
CREATE INDEX issues_by_status_events ON issues (project_id, status, event_count DESC, id DESC);
CREATE INDEX issues_by_status_text ON issues (project_id, status, title, culprit);
