-- What users wrote about an error (Sentry user_report and feedback items), kept with the event it is about.
CREATE TABLE user_feedback (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    comments    TEXT NOT NULL,
    url         TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX user_feedback_by_event ON user_feedback (project_id, event_id);
