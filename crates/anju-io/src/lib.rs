//! Anju's file formats, free of databases and networks: decoding bytes (UTF-8 with or
//! without BOM, GB18030), reading CSV and XLSX into tables, mapping Chinese or English
//! headers to columns, parsing rows into validated domain records with every bad row
//! named, and writing CSV/XLSX for exports, templates and error reports.
//!
//! The store turns parsed batches into one transaction; the server and the CLI move the
//! bytes. Everything here is a pure function of its input, so it is tested without I/O.

pub mod columns;
pub mod decode;
pub mod error;
pub mod field;
pub mod labels;
pub mod parse;
pub mod report;
pub mod synth;
pub mod table;
pub mod write;

pub use columns::{Column, HeaderMap, Kind};
pub use error::{IoError, RowError};
pub use parse::{Batch, Parsed, ParsedFile, parse_batch, parse_file};
pub use table::{SourceRow, Table, read_table};
pub use write::{Format, neutralise};

/// The deterministic id of a record that a file names by its natural key (`key` column)
/// instead of an `id`: the same key in the same area gives the same id on every import,
/// which is what makes re-imports idempotent.
pub fn derived_id(kind: Kind, area: &str, key: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"anju-import\0");
    h.update(kind.as_str().as_bytes());
    h.update(b"\0");
    h.update(area.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}
