-- +goose Up
-- Background jobs (imports, exports, the divisions import, and what later features add): one
-- row per job with its progress and outcome, so every instance shows it and a restart does not
-- lose it. The queue that hands jobs to workers is River's (its own tables, migrated by
-- rivermigrate after these); this table is ours and is what pages and the API read.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    user_id          INTEGER NOT NULL REFERENCES users(id),
    role             TEXT    NOT NULL,
    scope_all        INTEGER NOT NULL DEFAULT 0,
    scope_path       TEXT    NOT NULL DEFAULT '',
    params           TEXT    NOT NULL DEFAULT '{}',
    stage            TEXT    NOT NULL DEFAULT '',
    done             INTEGER NOT NULL DEFAULT 0,
    total            INTEGER NOT NULL DEFAULT 0,
    result           TEXT    NOT NULL DEFAULT '{}',
    error            TEXT    NOT NULL DEFAULT '',
    row_errors       TEXT    NOT NULL DEFAULT '[]',
    error_count      INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker           TEXT    NOT NULL DEFAULT '',
    heartbeat_at     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    started_at       TIMESTAMP,
    finished_at      TIMESTAMP
);
CREATE INDEX jobs_user ON jobs (user_id, id);
CREATE INDEX jobs_scope ON jobs (scope_path, id);
CREATE INDEX jobs_status ON jobs (status, heartbeat_at);

-- A job's files: the upload it reads, the rejects or the workbook it writes. Chunks are sealed
-- like ID numbers (AES-256-GCM, internal/pii), since uploads and rejects hold personal data.
CREATE TABLE job_files (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('input', 'output')),
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (job_id, purpose)
);
CREATE TABLE job_file_chunks (
    file_id INTEGER NOT NULL REFERENCES job_files(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    TEXT    NOT NULL,
    PRIMARY KEY (file_id, seq)
);

-- +goose Down
DROP TABLE job_file_chunks;
DROP TABLE job_files;
DROP TABLE jobs;
