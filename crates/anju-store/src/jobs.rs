//! Import jobs: the row an API upload leaves behind, with its outcome and error report.

use anju_core::Scope;
use anju_core::officer::format_time;
use anju_io::RowError;
use serde::Serialize;
use uuid::Uuid;

use crate::import::ImportSummary;
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// At most this many row errors are kept in the job row; the report file has them all.
pub const JOB_ERRORS_KEPT: usize = 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowErrorView {
    /// Line of the CSV file or row of the sheet (0: the file as a whole).
    pub line: u64,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJobView {
    pub id: Uuid,
    pub kind: String,
    pub file_name: String,
    pub dry_run: bool,
    /// `running`, `done` (imported, or planned for a dry run), `rejected` (bad rows,
    /// nothing imported) or `failed` (the server failed; nothing imported).
    pub status: String,
    /// Records in the file, and records written so far.
    pub total: i64,
    pub done: i64,
    pub added: i64,
    pub changed: i64,
    pub unchanged: i64,
    pub error_count: i64,
    /// The first 1,000 errors; `GET …/report` has every one, beside its row.
    pub errors: Vec<RowErrorView>,
    pub has_report: bool,
    pub message: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    kind: String,
    file_name: String,
    dry_run: i64,
    status: String,
    total: i64,
    done: i64,
    added: i64,
    changed: i64,
    unchanged: i64,
    error_count: i64,
    errors: String,
    has_report: i64,
    message: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

/// How a job ended.
pub enum JobEnd<'a> {
    Done(&'a ImportSummary),
    Rejected(&'a [RowError], &'a [u8]),
    Failed(&'a str),
}

fn owner(scope: &Scope) -> Result<String> {
    scope
        .actor()
        .map(|a| a.user_id.to_string())
        .ok_or(StoreError::NotFound)
}

impl Store {
    /// Records a job the caller has started.
    pub async fn create_import_job(
        &self,
        scope: &Scope,
        kind: &str,
        file_name: &str,
        dry_run: bool,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let user = owner(scope)?;
        let now = self.now();
        let _: u64 = on_pool!(self, p => sqlx::query(
            "INSERT INTO import_jobs (id, user_id, area_code, kind, file_name, dry_run, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)")
            .bind(id.to_string()).bind(user).bind(scope.root().map(|a| a.padded())).bind(kind)
            .bind(file_name.chars().take(200).collect::<String>()).bind(i64::from(dry_run)).bind(now)
            .execute(p).await?.rows_affected());
        Ok(id)
    }

    /// Writes a job's outcome.
    pub async fn finish_import_job(&self, id: Uuid, total: u64, end: JobEnd<'_>) -> Result<()> {
        let now = self.now();
        let (status, s, errors, report, message) = match end {
            JobEnd::Done(s) => ("done", s.clone(), &[][..], None, None),
            JobEnd::Rejected(e, r) => (
                "rejected",
                ImportSummary::default(),
                e,
                Some(String::from_utf8_lossy(r).into_owned()),
                None,
            ),
            JobEnd::Failed(m) => (
                "failed",
                ImportSummary::default(),
                &[][..],
                None,
                Some(m.to_owned()),
            ),
        };
        let kept = serde_json::to_string(&errors[..errors.len().min(JOB_ERRORS_KEPT)])
            .unwrap_or_else(|_| "[]".into());
        let done = if status == "done" && !s.dry_run {
            s.total
        } else {
            0
        };
        let _: u64 = on_pool!(self, p => sqlx::query(
            "UPDATE import_jobs SET status = $2, total = $3, done = $4, added = $5, changed = $6, unchanged = $7, \
             error_count = $8, errors = $9, report = $10, message = $11, finished_at = $12 WHERE id = $1")
            .bind(id.to_string()).bind(status).bind(total as i64).bind(done as i64).bind(s.added as i64)
            .bind(s.changed as i64).bind(s.unchanged as i64).bind(errors.len() as i64).bind(kept).bind(report)
            .bind(message).bind(now)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// A job of the caller's own; others' jobs are not found.
    pub async fn import_job(&self, scope: &Scope, id: Uuid) -> Result<ImportJobView> {
        let user = owner(scope)?;
        let r = on_pool!(self, p => sqlx::query_as::<_, JobRow>(
            "SELECT kind, file_name, dry_run, status, total, done, added, changed, unchanged, error_count, errors, \
             CAST(CASE WHEN report IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_report, message, created_at, finished_at \
             FROM import_jobs WHERE id = $1 AND user_id = $2")
            .bind(id.to_string()).bind(user).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?;
        let errors: Vec<RowError> = serde_json::from_str(&r.errors).unwrap_or_default();
        Ok(ImportJobView {
            id,
            kind: r.kind,
            file_name: r.file_name,
            dry_run: r.dry_run != 0,
            status: r.status,
            total: r.total,
            done: r.done,
            added: r.added,
            changed: r.changed,
            unchanged: r.unchanged,
            error_count: r.error_count,
            errors: errors
                .into_iter()
                .map(|e| RowErrorView {
                    line: e.line,
                    column: e.column,
                    reason: e.reason,
                })
                .collect(),
            has_report: r.has_report != 0,
            message: r.message,
            created_at: format_time(r.created_at),
            finished_at: r.finished_at.map(format_time),
        })
    }

    /// The error report of a rejected job of the caller's own.
    pub async fn import_report(&self, scope: &Scope, id: Uuid) -> Result<String> {
        let user = owner(scope)?;
        let r: Option<Option<String>> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT report FROM import_jobs WHERE id = $1 AND user_id = $2")
            .bind(id.to_string()).bind(user).fetch_optional(p).await?);
        r.flatten().ok_or(StoreError::NotFound)
    }

    /// Marks jobs left running by a stopped server as failed (their transaction was
    /// rolled back with the connection).
    pub async fn fail_interrupted_imports(&self) -> Result<u64> {
        let now = self.now();
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE import_jobs SET status = 'failed', message = 'the server stopped during the import; nothing was imported', \
             finished_at = $1 WHERE status = 'running'")
            .bind(now).execute(p).await?.rows_affected());
        Ok(n)
    }
}
