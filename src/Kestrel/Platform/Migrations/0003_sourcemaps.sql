-- Releases, the index of uploaded source maps and minified files, and sentry-cli's upload chunks.
-- The files themselves live under sourcemaps/<project>/<release>/ in the data directory.
CREATE TABLE releases (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    finalized_at INTEGER,
    UNIQUE (project_id, name)
);

-- One row per stored file. release is NULL for artifact bundles uploaded without one (debug IDs only).
-- url_path is the artifact's URL reduced to a path without scheme, host, query or leading slash
-- ("~/static/js/app.min.js" and "https://cdn/static/js/app.min.js" both give "static/js/app.min.js"):
-- frames are matched on it. sourcemap_ref is a minified file's link to its map (header or comment).
CREATE TABLE source_files (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id),
    release       TEXT,
    dist          TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL,
    url_path      TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('source_map', 'minified_source')),
    debug_id      TEXT,
    sourcemap_ref TEXT,
    file_path     TEXT NOT NULL,  -- relative to the data directory's sourcemaps/
    size          INTEGER NOT NULL,
    sha1          TEXT NOT NULL,
    uploaded_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX source_files_by_file ON source_files (project_id, file_path);
CREATE INDEX source_files_by_release ON source_files (project_id, release, url_path);
CREATE INDEX source_files_by_debug_id ON source_files (project_id, debug_id, kind) WHERE debug_id IS NOT NULL;

-- sentry-cli uploads a bundle in SHA-1-named chunks, then asks to assemble them. Chunks wait here
-- until assembled (then they are deleted) or until they are a day old.
CREATE TABLE upload_chunks (
    project_id  INTEGER NOT NULL,
    sha1        TEXT NOT NULL,
    data        BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, sha1)
);

-- Bundles already assembled, so that sentry-cli's repeated assemble calls answer "ok" at once.
CREATE TABLE artifact_bundles (
    project_id   INTEGER NOT NULL,
    checksum     TEXT NOT NULL,
    release      TEXT,
    dist         TEXT NOT NULL DEFAULT '',
    file_count   INTEGER NOT NULL,
    assembled_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, checksum)
) WITHOUT ROWID;
