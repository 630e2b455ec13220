//! A read-only scan of a SQLite table straight through SQLite's C interface, for the one
//! job where sqlx's per-row cost dominates: `audit verify` reading every item event and
//! ledger row (millions). It opens its own read-only connection (WAL lets it read while
//! the server writes) and hands each row to a callback; nothing here writes.

use std::ffi::{CStr, CString, c_int};
use std::path::Path;
use std::ptr;

use libsqlite3_sys as ffi;

use crate::{Result, StoreError};

/// One row as the scan sees it; valid only inside the callback.
pub(crate) struct RawRow {
    stmt: *mut ffi::sqlite3_stmt,
}

impl RawRow {
    pub fn int(&self, col: c_int) -> i64 {
        // SAFETY: `stmt` is a live statement positioned on a row (see `scan`).
        unsafe { ffi::sqlite3_column_int64(self.stmt, col) }
    }

    /// The column as text; `None` for NULL. Invalid UTF-8 is reported as corrupt.
    pub fn text(&self, col: c_int) -> Result<Option<&str>> {
        // SAFETY: as above; the pointer stays valid until the next step, which cannot
        // happen while the borrow of `self` lives.
        unsafe {
            if ffi::sqlite3_column_type(self.stmt, col) == ffi::SQLITE_NULL {
                return Ok(None);
            }
            let p = ffi::sqlite3_column_text(self.stmt, col);
            let n = ffi::sqlite3_column_bytes(self.stmt, col);
            if p.is_null() {
                return Ok(Some(""));
            }
            let bytes = std::slice::from_raw_parts(p, usize::try_from(n).unwrap_or(0));
            std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("column {col} is not UTF-8")))
        }
    }

    pub fn text_or_empty(&self, col: c_int) -> Result<&str> {
        Ok(self.text(col)?.unwrap_or(""))
    }
}

struct Db(*mut ffi::sqlite3);

impl Drop for Db {
    fn drop(&mut self) {
        // SAFETY: the handle came from sqlite3_open_v2 and is closed once.
        unsafe {
            ffi::sqlite3_close(self.0);
        }
    }
}

struct Stmt(*mut ffi::sqlite3_stmt);

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

fn error(db: *mut ffi::sqlite3, what: &str) -> StoreError {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the handle.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    StoreError::Corrupt(format!("{what}: {msg}"))
}

/// Runs `sql` on the database file at `path`, read-only, calling `f` for every row until
/// it returns `false`.
pub(crate) fn scan(
    path: &Path,
    sql: &str,
    mut f: impl FnMut(&RawRow) -> Result<bool>,
) -> Result<()> {
    let cpath = CString::new(path.to_string_lossy().as_bytes())
        .map_err(|_| StoreError::BadUrl(path.display().to_string()))?;
    let csql = CString::new(sql).map_err(|_| StoreError::Corrupt("SQL with a NUL".into()))?;
    let mut raw = ptr::null_mut();
    // SAFETY: plain FFI calls with valid NUL-terminated strings; every handle is owned by
    // a guard that releases it.
    unsafe {
        let rc = ffi::sqlite3_open_v2(
            cpath.as_ptr(),
            &mut raw,
            ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_NOMUTEX,
            ptr::null(),
        );
        let db = Db(raw);
        if rc != ffi::SQLITE_OK {
            return Err(error(db.0, "opening the database to verify"));
        }
        ffi::sqlite3_busy_timeout(db.0, 10_000);
        let mut st = ptr::null_mut();
        if ffi::sqlite3_prepare_v2(db.0, csql.as_ptr(), -1, &mut st, ptr::null_mut())
            != ffi::SQLITE_OK
        {
            return Err(error(db.0, "preparing the scan"));
        }
        let stmt = Stmt(st);
        let row = RawRow { stmt: stmt.0 };
        loop {
            match ffi::sqlite3_step(stmt.0) {
                ffi::SQLITE_ROW => {
                    if !f(&row)? {
                        return Ok(());
                    }
                }
                ffi::SQLITE_DONE => return Ok(()),
                _ => return Err(error(db.0, "scanning")),
            }
        }
    }
}
