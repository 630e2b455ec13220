//! Backup and restore.
//!
//! Two forms: a SQLite backend can write a ready database file (`VACUUM INTO`, an online
//! consistent copy); either backend writes a portable dump, one JSON object per line, the
//! tables read in one snapshot. A dump restores into an empty database of either backend
//! (SQLite to PostgreSQL and back), so it is also the way to move between them. Tables
//! are found from the catalogue, not listed here, so new migrations are covered without
//! touching this file.

use std::io::{BufRead, Write};

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::pool::{Pool, on_pool};
use crate::{Result, Store, StoreError};

/// A dump's first line.
#[derive(Debug, Serialize, Deserialize)]
struct DumpHeader {
    anju_dump: u32,
    backend: String,
}

/// The line before each table's rows.
#[derive(Debug, Serialize, Deserialize)]
struct TableHeader {
    table: String,
    rows: i64,
}

/// Rows per INSERT when restoring.
const RESTORE_CHUNK: usize = 1000;

/// Called with (table, rows done in it, rows in it).
pub type TableProgress<'a> = &'a (dyn Fn(&str, u64, u64) + Send + Sync);

fn quoted(name: &str) -> Result<String> {
    // Catalogue names are plain identifiers; anything else would be a corrupt catalogue.
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(format!("\"{name}\""))
    } else {
        Err(StoreError::Corrupt(format!(
            "table or column name {name:?}"
        )))
    }
}

impl Store {
    /// The application's tables, in name order (migration bookkeeping left out).
    pub async fn tables(&self) -> Result<Vec<String>> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(p)
            .await?,
            Pool::Postgres(p) => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
                 AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY table_name",
            )
            .fetch_all(p)
            .await?,
        })
    }

    /// Column names and declared types of a table.
    async fn columns(&self, table: &str) -> Result<Vec<(String, String)>> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let sql = format!("SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid");
                quoted(table)?;
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?
            }
            Pool::Postgres(p) => sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(p)
            .await?,
        })
    }

    /// The SELECT that renders each row of `table` as one JSON object.
    async fn row_json_sql(&self, table: &str) -> Result<String> {
        let t = quoted(table)?;
        Ok(match &self.pool {
            Pool::Sqlite(_) => {
                let cols = self.columns(table).await?;
                let mut parts = Vec::with_capacity(cols.len());
                for (c, ty) in &cols {
                    let q = quoted(c)?;
                    // SQLite's JSON keeps 15 significant digits of a REAL; 17 round-trip exactly.
                    if ty.eq_ignore_ascii_case("REAL") {
                        parts.push(format!(
                            "'{c}', CASE WHEN {q} IS NULL THEN NULL ELSE printf('%!.17g', {q}) END"
                        ));
                    } else {
                        parts.push(format!("'{c}', {q}"));
                    }
                }
                format!("SELECT json_object({}) FROM {t}", parts.join(", "))
            }
            Pool::Postgres(_) => format!("SELECT row_to_json(x)::text FROM {t} x"),
        })
    }

    /// A SQLite file copy of the database, consistent while writes go on (SQLite only).
    pub async fn backup_sqlite_file(&self, path: &std::path::Path) -> Result<()> {
        let Pool::Sqlite(p) = &self.pool else {
            return Err(StoreError::Conflict(
                "a database file copy is for SQLite; write a dump".into(),
            ));
        };
        let target = path.display().to_string().replace('\'', "''");
        sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
            .execute(p)
            .await?;
        Ok(())
    }

    /// Writes every table as a portable dump, all read in one snapshot.
    pub async fn dump(&self, out: &mut dyn Write, progress: TableProgress<'_>) -> Result<u64> {
        let tables = self.tables().await?;
        let mut sqls = Vec::with_capacity(tables.len());
        for t in &tables {
            sqls.push((
                t.clone(),
                format!("SELECT COUNT(*) FROM {}", quoted(t)?),
                self.row_json_sql(t).await?,
            ));
        }
        let io = |e: std::io::Error| StoreError::Corrupt(format!("writing the dump: {e}"));
        let header = DumpHeader {
            anju_dump: 1,
            backend: format!("{:?}", self.backend()).to_lowercase(),
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&header).unwrap_or_default()
        )
        .map_err(io)?;
        let mut total = 0u64;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            if self.backend() == crate::Backend::Postgres {
                // One snapshot for every table: a dump taken while the server writes is consistent.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
            }
            for (table, count_sql, sql) in &sqls {
                let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone())).fetch_one(&mut *tx).await?;
                let th = TableHeader { table: table.clone(), rows };
                writeln!(out, "{}", serde_json::to_string(&th).unwrap_or_default()).map_err(io)?;
                let mut stream = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone())).fetch(&mut *tx);
                let mut done = 0u64;
                while let Some(line) = stream.try_next().await? {
                    out.write_all(line.as_bytes()).map_err(io)?;
                    out.write_all(b"\n").map_err(io)?;
                    done += 1;
                    if done.is_multiple_of(10_000) {
                        progress(table, done, rows as u64);
                    }
                }
                progress(table, done, rows as u64);
                total += done;
            }
            tx.commit().await?;
        });
        out.flush().map_err(io)?;
        Ok(total)
    }

    /// True when nothing has been written yet: no audit row, no area, no user.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM audit) + (SELECT COUNT(*) FROM areas) + (SELECT COUNT(*) FROM users)")
            .fetch_one(p).await?);
        Ok(n == 0)
    }

    /// Loads a dump into this database, which must be empty (freshly migrated). Rows the
    /// migrations seeded (the audit chain's head) are replaced by the dump's. One
    /// transaction: a failed restore leaves the database empty.
    pub async fn restore(
        &self,
        input: &mut dyn BufRead,
        progress: TableProgress<'_>,
    ) -> Result<u64> {
        if !self.is_empty().await? {
            return Err(StoreError::Conflict(
                "the target database is not empty; restore into a new one".into(),
            ));
        }
        let bad = |m: String| StoreError::Corrupt(format!("not an Anju dump: {m}"));
        let mut line = String::new();
        input.read_line(&mut line).map_err(|e| bad(e.to_string()))?;
        let _: DumpHeader = serde_json::from_str(line.trim()).map_err(|e| bad(e.to_string()))?;
        let known = self.tables().await?;
        let mut total = 0u64;
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let mut current: Option<(String, String, u64)> = None;
            let mut batch: Vec<serde_json::Value> = Vec::with_capacity(RESTORE_CHUNK);
            let mut done = 0u64;
            loop {
                line.clear();
                let n = input.read_line(&mut line).map_err(|e| bad(e.to_string()))?;
                let text = line.trim();
                let header = if n == 0 { None } else { serde_json::from_str::<TableHeader>(text).ok() };
                if n == 0 || header.is_some() {
                    if let Some((table, sql, rows)) = &current {
                        if !batch.is_empty() {
                            let arr = serde_json::Value::Array(std::mem::take(&mut batch)).to_string();
                            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(arr).execute(&mut *tx).await?;
                        }
                        progress(table, done, *rows);
                    }
                    if n == 0 {
                        break;
                    }
                }
                if let Some(h) = header {
                    if !known.contains(&h.table) {
                        return Err(bad(format!("the table {} does not exist here (a dump from a newer version?)", h.table)));
                    }
                    let t = quoted(&h.table)?;
                    let seeded: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}"))).fetch_one(&mut *tx).await?;
                    if seeded > 0 {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}"))).execute(&mut *tx).await?;
                    }
                    let sql = self.insert_json_sql(&h.table).await?;
                    current = Some((h.table, sql, h.rows.max(0) as u64));
                    done = 0;
                    continue;
                }
                if text.is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
                if current.is_none() {
                    return Err(bad("a row before any table".into()));
                }
                batch.push(v);
                done += 1;
                total += 1;
                if batch.len() >= RESTORE_CHUNK {
                    let arr = serde_json::Value::Array(std::mem::take(&mut batch)).to_string();
                    if let Some((table, sql, rows)) = &current {
                        sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(arr).execute(&mut *tx).await?;
                        if done.is_multiple_of(10_000) {
                            progress(table, done, *rows);
                        }
                    }
                }
            }
            tx.commit().await?;
        });
        if let Pool::Postgres(p) = &self.pool {
            // Serial columns (if any table has one) continue after the restored rows.
            let serials: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
            )
            .fetch_all(p)
            .await?;
            for (t, c) in serials {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', '{c}'), COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
                    quoted(&c)?,
                    quoted(&t)?
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
            }
        }
        self.analyze().await?;
        Ok(total)
    }

    /// An INSERT that takes one parameter, a JSON array of row objects.
    async fn insert_json_sql(&self, table: &str) -> Result<String> {
        let t = quoted(table)?;
        Ok(match &self.pool {
            Pool::Sqlite(_) => {
                let cols = self.columns(table).await?;
                let names: Vec<String> =
                    cols.iter().map(|(c, _)| quoted(c)).collect::<Result<_>>()?;
                let values: Vec<String> = cols
                    .iter()
                    .map(|(c, _)| format!("json_extract(value, '$.\"{c}\"')"))
                    .collect();
                format!(
                    "INSERT INTO {t} ({}) SELECT {} FROM json_each($1)",
                    names.join(", "),
                    values.join(", ")
                )
            }
            Pool::Postgres(_) => format!(
                "INSERT INTO {t} SELECT * FROM json_populate_recordset(NULL::{t}, $1::json)"
            ),
        })
    }
}
