-- Import jobs started from the API: one row per upload, kept after it finishes so the
-- result and the error report can be fetched later. Live progress is kept in memory
-- while the job runs (the import's own transaction holds SQLite's write lock).
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    area_code INTEGER,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    message TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
) WITHOUT ROWID;
CREATE INDEX import_jobs_user ON import_jobs (user_id, created_at);
