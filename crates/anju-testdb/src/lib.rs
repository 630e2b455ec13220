//! Fresh, isolated databases for tests on both backends.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a database cloned from a
//! template that was migrated once (cloning is a file copy, far faster than migrating),
//! on the server named by `ANJU_TEST_PG_URL`. Without that variable the PostgreSQL half
//! of a test fails, unless `ANJU_TEST_SKIP_PG=1` says to leave it out on purpose.

pub mod world;

use std::path::PathBuf;
use std::time::Duration;

use anju_core::Clock;
use anju_store::{Backend, Store};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::OnceCell;

/// The backends a test should run against.
pub fn backends() -> Vec<Backend> {
    if std::env::var("ANJU_TEST_SKIP_PG").is_ok_and(|v| v == "1") {
        vec![Backend::Sqlite]
    } else {
        vec![Backend::Sqlite, Backend::Postgres]
    }
}

/// A database URL for a new empty, migrated database on `backend`.
pub async fn fresh_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = temp_dir();
            format!(
                "sqlite:{}",
                dir.join(format!("{}.sqlite", uuid::Uuid::now_v7()))
                    .display()
            )
        }
        Backend::Postgres => fresh_pg().await,
    }
}

/// A new store on `backend` with the given clock.
pub async fn fresh_store_with(backend: Backend, clock: Clock) -> Store {
    let url = fresh_url(backend).await;
    match Store::open(&url, clock).await {
        Ok(s) => s,
        Err(e) => panic!("cannot open test store {url}: {e}"),
    }
}

pub async fn fresh_store(backend: Backend) -> Store {
    fresh_store_with(backend, Clock::System).await
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("anju-tests");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

fn admin_url() -> String {
    match std::env::var("ANJU_TEST_PG_URL") {
        Ok(u) => u,
        Err(_) => panic!(
            "ANJU_TEST_PG_URL is not set: run the suite with `make test` (which starts PostgreSQL), \
             or set ANJU_TEST_SKIP_PG=1 to run SQLite only"
        ),
    }
}

fn with_db(url: &str, db: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base, ""));
    format!("{prefix}/{db}")
}

const TEMPLATE: &str = "anju_template";
static TEMPLATE_READY: OnceCell<()> = OnceCell::const_new();

async fn fresh_pg() -> String {
    let admin = admin_url();
    TEMPLATE_READY
        .get_or_init(|| async {
            let mut c = connect(&admin).await;
            let exists: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(TEMPLATE)
                    .fetch_optional(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("query pg_database: {e}"));
            if exists.is_none() {
                // Another test process may create it at the same moment; either wins.
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}")))
                    .execute(&mut c)
                    .await;
            }
            let _ = c.close().await;
            // Opening migrates; a template from an older run gains the new migrations.
            let store = Store::open(&with_db(&admin, TEMPLATE), Clock::System)
                .await
                .unwrap_or_else(|e| panic!("migrate template: {e}"));
            store.close().await;
        })
        .await;
    let name = format!("anju_t_{}", uuid::Uuid::now_v7().simple());
    let mut c = connect(&admin).await;
    // Cloning fails while another session is connected to the template (a parallel
    // process migrating it); that window is short, so retry.
    let mut last = None;
    for attempt in 0..50 {
        match sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {TEMPLATE}"
        )))
        .execute(&mut c)
        .await
        {
            Ok(_) => {
                let _ = c.close().await;
                return with_db(&admin, &name);
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(50 + 20 * attempt)).await;
            }
        }
    }
    panic!("cannot clone the template database: {last:?}");
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}
