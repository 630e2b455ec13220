//! The error report: the file's own rows with an error column added, so the user fixes
//! the rows it names and loads the same file again (drop the column or keep it: an
//! `errors`/`错误` column is ignored on import).

use std::collections::BTreeMap;

use crate::write::CsvSink;
use crate::{IoError, RowError, Table};

pub const ERROR_COLUMN: &str = "错误 (errors)";

/// Writes the report as CSV (UTF-8 with BOM). Problems with the file itself (no
/// header, an encoding error) come first, on rows of their own.
pub fn report_csv(table: Option<&Table>, errors: &[RowError]) -> Result<Vec<u8>, IoError> {
    let mut by_line: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for e in errors {
        let msg = if e.column.is_empty() {
            e.reason.clone()
        } else {
            format!("{}: {}", e.column, e.reason)
        };
        by_line.entry(e.line).or_default().push(msg);
    }
    let mut s = CsvSink::new();
    let Some(t) = table else {
        s.row(&["行 (line)", ERROR_COLUMN])?;
        for (line, msgs) in &by_line {
            s.row(&[line.to_string(), msgs.join("; ")])?;
        }
        return s.take();
    };
    let width = t.headers.len();
    let mut header = t.headers.clone();
    header.push(ERROR_COLUMN.to_owned());
    let header_msgs: Vec<String> = by_line
        .iter()
        .filter(|(l, _)| **l == 0 || **l == t.header_line)
        .flat_map(|(_, m)| m.clone())
        .collect();
    if !header_msgs.is_empty() {
        header[width] = format!("{ERROR_COLUMN}: {}", header_msgs.join("; "));
    }
    s.row(&header)?;
    for r in &t.rows {
        let mut cells = r.cells.clone();
        cells.resize(width, String::new());
        cells.push(
            by_line
                .get(&r.line)
                .map(|m| m.join("; "))
                .unwrap_or_default(),
        );
        s.row(&cells)?;
    }
    s.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_keeps_rows_and_adds_errors() {
        let t = crate::read_table("a,b\n1,2\n3,4\n".as_bytes(), None).unwrap();
        let r = report_csv(Some(&t), &[RowError::new(3, "b", "bad")]).unwrap();
        let text = String::from_utf8(r[3..].to_vec()).unwrap();
        assert_eq!(text, format!("a,b,{ERROR_COLUMN}\n1,2,\n3,4,b: bad\n"));
    }
}
