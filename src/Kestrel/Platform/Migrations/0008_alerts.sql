-- Alerts (PRODUCT.md §14). Channels say where notifications go, rules say when; deliveries are the
-- outbox: a row is written in the transaction of the event that caused it and sent afterwards.

CREATE TABLE alert_channels (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'discord', 'teams', 'googlechat', 'email')),
    url           TEXT,            -- the webhook kinds
    secret        TEXT,            -- webhook only; kept in clear because every message is signed with it
    recipients    TEXT,            -- email only: a JSON array of addresses
    last_error    TEXT,
    last_error_at INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX alert_channels_by_project ON alert_channels (project_id, id);

CREATE TABLE alert_rules (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects (id),
    name             TEXT NOT NULL,
    trigger          TEXT NOT NULL CHECK (trigger IN ('new_issue', 'regression', 'spike')),
    threshold        INTEGER,      -- spike only
    window_minutes   INTEGER,      -- spike only
    level            TEXT,         -- minimum level of the triggering event
    environment      TEXT,         -- exact environment of the triggering event
    cooldown_minutes INTEGER NOT NULL DEFAULT 60,
    enabled          INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL
);
CREATE INDEX alert_rules_by_project ON alert_rules (project_id, id);

CREATE TABLE alert_rule_channels (
    rule_id    INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (rule_id, channel_id)
) WITHOUT ROWID;
CREATE INDEX alert_rule_channels_by_channel ON alert_rule_channels (channel_id);

-- When each rule last fired for each issue: the cooldown. A regression deletes the issue's rows.
CREATE TABLE alert_rule_fired (
    rule_id  INTEGER NOT NULL,
    issue_id INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    PRIMARY KEY (rule_id, issue_id)
) WITHOUT ROWID;
CREATE INDEX alert_rule_fired_by_issue ON alert_rule_fired (issue_id);

CREATE TABLE alert_deliveries (
    id              TEXT PRIMARY KEY,  -- a UUID, sent as X-Kestrel-Delivery on every attempt
    project_id      INTEGER NOT NULL,
    rule_id         INTEGER,           -- null for a test or a digest
    channel_id      INTEGER NOT NULL,
    issue_id        INTEGER,           -- null for a test or a digest
    trigger         TEXT NOT NULL CHECK (trigger IN ('new_issue', 'regression', 'spike', 'test', 'digest')),
    detail          TEXT,              -- JSON: the triggering event (id, release, environment, timestamp) or a digest's counts
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    held            INTEGER NOT NULL DEFAULT 0,  -- over the flood limit: waits for its channel's digest
    digest_id       TEXT,              -- the digest that carried this one
    attempts        INTEGER NOT NULL DEFAULT 0,
    http_status     INTEGER,           -- or the SMTP reply code
    error           TEXT,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    delivered_at    INTEGER
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
-- The delivery log pages by rowid, which every index entry carries.
CREATE INDEX alert_deliveries_by_project ON alert_deliveries (project_id);
