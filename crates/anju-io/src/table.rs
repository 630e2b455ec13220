//! Files to tables of text cells, each row keeping the line (CSV) or sheet row (XLSX)
//! it came from so every problem can be named where the user will look for it.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::RowError;
use crate::decode::{Encoding, decode};

/// A record longer than this is refused: no register row comes near it, and a file
/// with a missing closing quote would otherwise read as one giant cell.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    /// 1-based line of a CSV file where the record starts, or 1-based sheet row.
    pub line: u64,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub header_line: u64,
    pub rows: Vec<SourceRow>,
    /// What the file was: `utf-8`, `gb18030` or `xlsx`.
    pub source: &'static str,
}

/// True when the bytes are a ZIP archive, as every XLSX file is.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads CSV (any supported encoding) or XLSX (`sheet`, else the first sheet).
pub fn read_table(bytes: &[u8], sheet: Option<&str>) -> Result<Table, Vec<RowError>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![RowError::file("the file is empty")]);
    }
    if is_xlsx(bytes) {
        read_xlsx(bytes, sheet)
    } else {
        let (text, enc) = decode(bytes).map_err(|e| vec![e])?;
        read_csv(&text, source_name(enc), b',')
    }
}

pub(crate) fn source_name(enc: Encoding) -> &'static str {
    match enc {
        Encoding::Utf8 => "utf-8",
        Encoding::Gb18030 => "gb18030",
    }
}

fn blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

pub(crate) fn read_csv(
    text: &str,
    source: &'static str,
    delimiter: u8,
) -> Result<Table, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    // Lines are counted from byte offsets: the reader's own line count skips blank lines.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut line_at = |at: usize| {
        let at = at.min(bytes.len());
        if at > counted_to {
            line += bytes[counted_to..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted_to = at;
        }
        line
    };
    loop {
        let start = rdr.position().byte() as usize;
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RowError::new(line_at(start), "", format!("not CSV: {e}")));
                break;
            }
        }
        // The recorded start precedes the blank lines the reader skipped.
        let mut at = rec.position().map_or(start, |p| p.byte() as usize);
        while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        let line = line_at(at);
        if rec.as_slice().len() > MAX_LINE_BYTES {
            errors.push(RowError::new(
                line,
                "",
                format!("the line is longer than {} KiB", MAX_LINE_BYTES / 1024),
            ));
            continue;
        }
        let cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        if blank(&cells) {
            continue;
        }
        if header.is_none() {
            header = Some((line, cells));
        } else {
            rows.push(SourceRow { line, cells });
        }
    }
    finish(header, rows, errors, source)
}

fn finish(
    header: Option<(u64, Vec<String>)>,
    rows: Vec<SourceRow>,
    mut errors: Vec<RowError>,
    source: &'static str,
) -> Result<Table, Vec<RowError>> {
    let Some((header_line, headers)) = header else {
        errors.push(RowError::file("the file is empty"));
        return Err(errors);
    };
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::file("the file has a header but no rows"));
    }
    if errors.is_empty() {
        Ok(Table {
            headers: headers.into_iter().map(|h| h.trim().to_owned()).collect(),
            header_line,
            rows,
            source,
        })
    } else {
        Err(errors)
    }
}

pub(crate) fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, Vec<RowError>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| vec![RowError::file(format!("not a readable XLSX file: {e}"))])?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_owned(),
        Some(s) => {
            return Err(vec![RowError::file(format!(
                "no sheet named {s:?}; the sheets are {}",
                names.join(", ")
            ))]);
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| vec![RowError::file("the workbook has no sheets")])?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| vec![RowError::file(format!("reading sheet {name:?}: {e}"))])?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let line = first_row + i as u64 + 1;
        // Cells left of the used range are empty; keep columns aligned with the sheet.
        let mut cells = vec![String::new(); first_col];
        cells.extend(r.iter().map(cell_text));
        if blank(&cells) {
            continue;
        }
        if header.is_none() {
            header = Some((line, cells));
        } else {
            rows.push(SourceRow { line, cells });
        }
    }
    finish(header, rows, vec![], "xlsx")
}

/// A sheet cell as the text a CSV file would hold: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's serial day (1900 system, counted from 1899-12-30) as a date.
fn excel_date(serial: f64) -> String {
    let base = time::macros::date!(1899 - 12 - 30);
    match base.checked_add(time::Duration::days(serial.floor() as i64)) {
        Some(d) => anju_core::household::format_date(d),
        None => serial.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_are_kept_and_blank_lines_skipped() {
        let t = read_table("a,b\n\n1,2\n\"x\ny\",3\n4,5\n".as_bytes(), None).unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 6]);
        assert_eq!(t.rows[1].cells[0], "x\ny");
    }

    #[test]
    fn empty_and_overlong() {
        assert_eq!(
            read_table(b"", None).unwrap_err()[0].reason,
            "the file is empty"
        );
        assert!(
            read_table(b"a,b\n", None).unwrap_err()[0]
                .reason
                .contains("no rows")
        );
        let long = format!("a\n1\n{}\n", "x".repeat(MAX_LINE_BYTES + 1));
        let e = read_table(long.as_bytes(), None).unwrap_err();
        assert_eq!(e[0].line, 3);
    }

    #[test]
    fn excel_dates() {
        assert_eq!(excel_date(25569.0), "1970-01-01");
    }
}
