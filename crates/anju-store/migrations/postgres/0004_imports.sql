-- Import jobs started from the API: one row per upload, kept after it finishes so the
-- result and the error report can be fetched later. Live progress is kept in memory
-- while the job runs (the import's own transaction holds SQLite's write lock).
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    area_code BIGINT,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    dry_run BIGINT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    error_count BIGINT NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    message TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX import_jobs_user ON import_jobs (user_id, created_at);
