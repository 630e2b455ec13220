use std::str::FromStr;
use std::time::Duration;

use anju_core::Clock;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Result, StoreError};

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage handle: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) clock: Clock,
    pub(crate) deadlines: std::sync::Arc<anju_core::deadline::DeadlinePolicy>,
    /// SQLite admits one writer at a time; the others would wait in its busy handler,
    /// which sleeps in steps of up to 100 ms and leaves the lock idle between them.
    /// Writers queue here instead, in order, and start the moment the last one commits.
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Runs `$body` with `$p` bound to the backend's pool; the body is compiled once per
/// backend, so the same SQL text and row types serve both.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::pool::Pool::Sqlite($p) => $body,
            $crate::pool::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens `sqlite:PATH` (created if missing) or `postgres://…` and applies migrations.
    pub async fn open(url: &str, clock: Clock) -> Result<Store> {
        let pool = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL with NORMAL is durable against application crashes and keeps writes fast.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            // A liveness probe before every checkout costs a round trip per query; a dead
            // connection surfaces as an error on first use instead.
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(8)
                .min_connections(1)
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(16)
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        Ok(Store {
            pool,
            clock,
            deadlines: std::sync::Arc::default(),
            writers: std::sync::Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Waits for this process's turn to write (SQLite only; PostgreSQL locks rows).
    /// Hold the guard until the transaction commits or rolls back, and never call
    /// another writing method while holding it.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.writers.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT)").fetch_one(p).await?;
        });
        Ok(())
    }

    /// Refreshes the planner's statistics after a bulk load.
    pub async fn analyze(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
                // The bundled SQLite keeps STAT4 samples, which make it re-prepare a statement
                // whenever its bound values change; the plain counts of sqlite_stat1 suffice.
                let stat4: Option<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
                )
                .fetch_optional(p)
                .await?;
                if stat4.is_some() {
                    sqlx::query("DELETE FROM sqlite_stat4").execute(p).await?;
                    sqlx::query("ANALYZE sqlite_master").execute(p).await?;
                }
            }
            Pool::Postgres(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}
