//! Cursor pagination in key order `(area_code, id)`: each page is an index range scan,
//! however deep the caller pages.

use anju_core::{AreaCode, ValidationError};

use crate::{Result, StoreError};

pub const MAX_LIMIT: i64 = 500;
pub const DEFAULT_LIMIT: i64 = 50;

/// A list request as the API receives it.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub area: Option<AreaCode>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub include_archived: bool,
}

pub(crate) struct Parsed {
    pub lo: i64,
    pub hi: i64,
    pub like: String,
    pub limit: i64,
    pub after_area: i64,
    pub after_id: String,
    pub archived: i64,
}

impl ListQuery {
    pub(crate) fn parse(&self, range: (i64, i64)) -> Result<Parsed> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::single(
                "limit",
                "out_of_range",
                format!("between 1 and {MAX_LIMIT}"),
            )
            .into());
        }
        let (after_area, after_id) = match &self.cursor {
            None => (-1, String::new()),
            Some(c) => decode_cursor(c).ok_or_else(|| {
                StoreError::Validation(ValidationError::single(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor returned by this list",
                ))
            })?,
        };
        // A first page starts at the range's low end, not at (-1, ''): PostgreSQL begins an
        // index scan at the row comparison, so a low seed would scan every earlier area.
        let (after_area, after_id) =
            std::cmp::max((after_area, after_id), (range.0, String::new()));
        let like = match self.q.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(q) => format!("%{}%", q.replace(['\\', '%', '_'], "")),
        };
        Ok(Parsed {
            lo: range.0,
            hi: range.1,
            like,
            limit,
            after_area,
            after_id,
            archived: i64::from(self.include_archived),
        })
    }
}

pub(crate) fn encode_cursor(area: i64, id: &str) -> String {
    format!("{area}~{id}")
}

pub(crate) fn decode_cursor(c: &str) -> Option<(i64, String)> {
    let (a, id) = c.split_once('~')?;
    let a: i64 = a.parse().ok()?;
    uuid::Uuid::parse_str(id).ok()?;
    Some((a, id.to_owned()))
}

/// Trims a fetched `limit + 1` rows to `limit` and derives the next cursor.
pub(crate) fn finish<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (i64, String),
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (a, id) = key(r);
            encode_cursor(a, &id)
        })
    } else {
        None
    };
    (rows, next)
}
