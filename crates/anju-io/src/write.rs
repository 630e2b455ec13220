//! Writers for exports, templates and reports: CSV with a UTF-8 BOM (so Excel on
//! Chinese Windows opens it as UTF-8, not GBK) and XLSX. Every cell passes through
//! [`neutralise`] first.

use std::borrow::Cow;

use rust_xlsxwriter::{Format as CellFormat, Workbook};

use crate::{IoError, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
    pub const fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a leading `'`, which spreadsheets show as text.
/// The importer drops that `'` again, so an export loads back unchanged.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// CSV rows into a buffer that the caller drains as it goes (a streamed response).
pub struct CsvSink {
    w: csv::Writer<Vec<u8>>,
}

fn csv_writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().flexible(true).from_writer(buf)
}

impl CsvSink {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(UTF8_BOM);
        CsvSink { w: csv_writer(buf) }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), IoError> {
        self.w
            .write_record(cells.iter().map(|c| neutralise(c.as_ref()).into_owned()))?;
        Ok(())
    }

    /// The bytes written since the last call.
    pub fn take(&mut self) -> Result<Vec<u8>, IoError> {
        let w = std::mem::replace(&mut self.w, csv_writer(Vec::with_capacity(64 * 1024)));
        w.into_inner()
            .map_err(|e| IoError::Io(std::io::Error::other(e.to_string())))
    }
}

impl Default for CsvSink {
    fn default() -> Self {
        Self::new()
    }
}

/// One sheet of text cells. Rows go to a temporary file as they come (constant memory);
/// the workbook is assembled at the end.
pub struct XlsxSink {
    wb: Workbook,
    row: u32,
    text: CellFormat,
}

/// The most rows a sheet holds (Excel's limit), header included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

impl XlsxSink {
    pub fn new(sheet: &str) -> Result<Self, IoError> {
        let mut wb = Workbook::new();
        wb.add_worksheet_with_constant_memory()?.set_name(sheet)?;
        Ok(XlsxSink {
            wb,
            row: 0,
            text: CellFormat::new().set_num_format("@"),
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), IoError> {
        if self.row >= XLSX_MAX_ROWS {
            return Err(IoError::Io(std::io::Error::other(
                "more rows than a sheet holds (1,048,576); export as CSV",
            )));
        }
        let ws = self.wb.worksheet_from_index(0)?;
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(self.row, c as u16, neutralise(v.as_ref()), &self.text)?;
        }
        self.row += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, IoError> {
        Ok(self.wb.save_to_buffer()?)
    }
}

/// Either sink, for code that writes rows without caring which.
pub enum Sink {
    Csv(Box<CsvSink>),
    Xlsx(Box<XlsxSink>),
}

impl Sink {
    pub fn new(format: Format, sheet: &str) -> Result<Self, IoError> {
        Ok(match format {
            Format::Csv => Sink::Csv(Box::default()),
            Format::Xlsx => Sink::Xlsx(Box::new(XlsxSink::new(sheet)?)),
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), IoError> {
        match self {
            Sink::Csv(s) => s.row(cells),
            Sink::Xlsx(s) => s.row(cells),
        }
    }

    /// CSV bytes written so far (XLSX gives its bytes only at the end).
    pub fn take(&mut self) -> Result<Vec<u8>, IoError> {
        match self {
            Sink::Csv(s) => s.take(),
            Sink::Xlsx(_) => Ok(vec![]),
        }
    }

    pub fn finish(self) -> Result<Vec<u8>, IoError> {
        match self {
            Sink::Csv(mut s) => s.take(),
            Sink::Xlsx(s) => s.finish(),
        }
    }
}

/// An empty file with the Chinese headers of `kind`, to fill in and import.
pub fn template(kind: Kind, format: Format) -> Result<Vec<u8>, IoError> {
    let mut s = Sink::new(format, kind.as_str())?;
    s.row(&kind.zh_headers())?;
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+8613812345678"), "'+8613812345678");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\t=1"), "'\t=1");
        assert_eq!(neutralise("张三"), "张三");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn csv_has_a_bom_and_neutralised_cells() {
        let mut s = CsvSink::new();
        s.row(&["户主", "=1+1"]).unwrap();
        let b = s.take().unwrap();
        assert!(b.starts_with(UTF8_BOM));
        assert_eq!(&b[3..], "户主,'=1+1\n".as_bytes());
    }

    #[test]
    fn templates_read_back() {
        for f in [Format::Csv, Format::Xlsx] {
            let b = template(Kind::Households, f).unwrap();
            let e = crate::read_table(&b, None).unwrap_err();
            assert!(e[0].reason.contains("no rows"), "{e:?}");
        }
    }
}
