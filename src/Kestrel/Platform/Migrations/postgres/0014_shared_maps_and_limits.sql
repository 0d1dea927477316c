-- PostgreSQL twin of ../0014_source_file_sha256.sql, plus where the files themselves live in PostgreSQL mode: every node
-- reads and writes the same maps, so they cannot stay in one node's data directory (issue 16 §2).
ALTER TABLE source_files ADD COLUMN sha256 text;
CREATE INDEX source_files_by_sha256 ON source_files (sha256) WHERE sha256 IS NOT NULL;

-- PostgreSQL only. One row per distinct content, shared by every file (of any project) with the same SHA-256; a file's
-- bytes are split into chunks of at most 1 MiB, so that neither a node nor the server ever holds a whole map in one
-- message, and a backup streams them out chunk by chunk. stored_at is the last time an upload stored or reused the
-- content: unreferenced contents are swept only when they are older than a few minutes, so an upload whose content is
-- written but not yet indexed is never swept from under it (SourceMaps/SourceContents.cs).
CREATE TABLE source_contents (
    sha256    text PRIMARY KEY,
    size      bigint NOT NULL,
    stored_at bigint NOT NULL
);
CREATE TABLE source_content_chunks (
    sha256 text NOT NULL REFERENCES source_contents (sha256) ON DELETE CASCADE,
    seq    bigint NOT NULL,
    data   bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);
-- An index entry never names content that is gone: the sweep fails (and keeps it) rather than break a file.
ALTER TABLE source_files ADD CONSTRAINT source_files_content FOREIGN KEY (sha256) REFERENCES source_contents (sha256);

-- PostgreSQL only: per-project rate limits held across nodes (KESTREL_RATE_LIMIT_PER_MINUTE). Each node counts what it
-- accepted locally and adds it here in batches, learning the other nodes' counts in the same statement; a project's
-- use of the last minute is estimated from this window and the previous one (Ingest/RateLimiter.cs). Windows older
-- than two minutes are deleted by whichever node passes by. SQLite's single node keeps its limit in memory.
CREATE TABLE rate_limit_windows (
    project_id   bigint NOT NULL,
    window_start bigint NOT NULL,  -- unix ms, a whole minute
    events       bigint NOT NULL,
    PRIMARY KEY (project_id, window_start)
);
