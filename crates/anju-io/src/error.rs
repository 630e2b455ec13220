//! The crate's error type, and the row problem every import reports.

use serde::{Deserialize, Serialize};

/// One problem in an import file: where (line of a CSV file, or row of a sheet, 1-based;
/// 0 for the file as a whole), which column (as the file names it) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl RowError {
    pub fn new(line: u64, column: impl Into<String>, reason: impl Into<String>) -> Self {
        RowError {
            line,
            column: column.into(),
            reason: reason.into(),
        }
    }

    pub fn file(reason: impl Into<String>) -> Self {
        Self::new(0, "", reason)
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column.as_str()) {
            (0, _) => write!(f, "{}", self.reason),
            (l, "") => write!(f, "line {l}: {}", self.reason),
            (l, c) => write!(f, "line {l}, column {c}: {}", self.reason),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
