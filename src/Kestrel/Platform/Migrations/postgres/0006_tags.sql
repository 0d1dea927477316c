-- PostgreSQL twin of ../0006_tags.sql: tags per issue (PRODUCT §15), totals kept by the writer.
CREATE TABLE issue_tags (
    issue_id   bigint NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    project_id bigint NOT NULL,
    count      bigint NOT NULL,
    first_seen bigint NOT NULL,
    last_seen  bigint NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);
CREATE INDEX issue_tags_by_value ON issue_tags (project_id, key, value);
CREATE INDEX issue_tags_releases ON issue_tags (project_id, value, first_seen) WHERE key = 'release';

ALTER TABLE issues ADD COLUMN users_affected bigint NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN first_release text;
ALTER TABLE issues ADD COLUMN last_release text;

CREATE INDEX issues_by_status_users ON issues (project_id, status, users_affected DESC, id DESC);
