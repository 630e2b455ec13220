//! The columns of each kind of import and export file, with their Chinese and English
//! headers. docs/import.md renders the same table.

use crate::RowError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Households,
    Houses,
    Units,
    Officers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The English header, also the field name used in messages.
    pub name: &'static str,
    /// The Chinese header.
    pub zh: &'static str,
    /// The header must be present (a cell may still be empty where the field is optional).
    pub required: bool,
}

const fn c(name: &'static str, zh: &'static str, required: bool) -> Column {
    Column { name, zh, required }
}

/// One row per member; rows with the same `id` (or `key`) are one household, whose
/// fields are taken from its first row.
const HOUSEHOLDS: &[Column] = &[
    c("id", "户ID", false),
    c("key", "户编号", false),
    c("area", "区划代码", true),
    c("address", "地址", true),
    c("head_name", "户主姓名", true),
    c("phone", "联系电话", false),
    c("responsible_officer_id", "责任干部ID", false),
    c("grid_officer_id", "网格员ID", false),
    c("poverty_category", "监测类型", false),
    c("member_name", "成员姓名", true),
    c("sex", "性别", true),
    c("birth_date", "出生日期", true),
    c("id_number", "身份证号", false),
    c("relation", "与户主关系", false),
    c("vulnerabilities", "特殊群体", false),
];

const HOUSES: &[Column] = &[
    c("id", "房屋ID", false),
    c("key", "房屋编号", false),
    c("area", "区划代码", true),
    c("address", "地址", false),
    c("lon", "经度", true),
    c("lat", "纬度", true),
    c("structure", "结构类型", true),
    c("floors", "层数", true),
    c("rooms", "间数", false),
    c("year_built", "建成年份", false),
    c("owner_household_id", "户ID", false),
];

const UNITS: &[Column] = &[
    c("id", "单位ID", false),
    c("key", "单位编号", false),
    c("name", "单位名称", true),
    c("kind", "单位类型", true),
    c("area", "区划代码", true),
    c("phone", "联系电话", false),
];

const OFFICERS: &[Column] = &[
    c("id", "人员ID", false),
    c("key", "人员编号", false),
    c("name", "姓名", true),
    c("phone", "联系电话", false),
    c("unit_id", "单位ID", true),
    c("title", "职务", false),
    c("duties", "职责", false),
];

/// Household fields repeated on every member row (they must agree or be left empty).
pub const HOUSEHOLD_FIELDS: &[&str] = &[
    "area",
    "address",
    "head_name",
    "phone",
    "responsible_officer_id",
    "grid_officer_id",
    "poverty_category",
];

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Households, Kind::Houses, Kind::Units, Kind::Officers];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Households => "households",
            Kind::Houses => "houses",
            Kind::Units => "units",
            Kind::Officers => "officers",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The entity name in audit rows.
    pub const fn entity(self) -> &'static str {
        match self {
            Kind::Households => "household",
            Kind::Houses => "house",
            Kind::Units => "unit",
            Kind::Officers => "officer",
        }
    }

    pub const fn columns(self) -> &'static [Column] {
        match self {
            Kind::Households => HOUSEHOLDS,
            Kind::Houses => HOUSES,
            Kind::Units => UNITS,
            Kind::Officers => OFFICERS,
        }
    }

    /// The Chinese headers, in order (exports and templates use these).
    pub fn zh_headers(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.zh).collect()
    }
}

/// Where each known column sits in a file, and the header text the file used for it.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// `index[i]` is the file's cell index for `kind.columns()[i]`.
    index: Vec<Option<usize>>,
    written: Vec<String>,
    kind: Kind,
}

impl HeaderMap {
    /// Maps a header row; unknown, repeated or missing headers are all reported.
    pub fn new(kind: Kind, headers: &[String], line: u64) -> Result<HeaderMap, Vec<RowError>> {
        let cols = kind.columns();
        let mut index = vec![None; cols.len()];
        let mut written: Vec<String> = cols.iter().map(|c| c.name.to_owned()).collect();
        let mut errors = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim();
            // The error column of a report (see report.rs) is ignored, so a fixed report loads.
            if h.is_empty() || h.starts_with("错误") {
                continue;
            }
            let found = cols
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(h) || c.zh == h);
            match found {
                Some(j) if index[j].is_some() => errors.push(RowError::new(
                    line,
                    h,
                    format!("the column {h} appears twice"),
                )),
                Some(j) => {
                    index[j] = Some(i);
                    written[j] = h.to_owned();
                }
                None => errors.push(RowError::new(
                    line,
                    h,
                    format!(
                        "unknown column {h:?} for {}; the columns are {}",
                        kind.as_str(),
                        cols.iter()
                            .map(|c| format!("{} ({})", c.zh, c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        for (j, c) in cols.iter().enumerate() {
            if c.required && index[j].is_none() {
                errors.push(RowError::new(
                    line,
                    c.zh,
                    format!("the required column {} ({}) is missing", c.zh, c.name),
                ));
            }
        }
        let id = cols.iter().position(|c| c.name == "id");
        let key = cols.iter().position(|c| c.name == "key");
        if let (Some(i), Some(k)) = (id, key)
            && index[i].is_none()
            && index[k].is_none()
        {
            errors.push(RowError::new(
                line,
                cols[k].zh,
                format!(
                    "a column {} (id) or {} (key) is needed to name each record",
                    cols[i].zh, cols[k].zh
                ),
            ));
        }
        if errors.is_empty() {
            Ok(HeaderMap {
                index,
                written,
                kind,
            })
        } else {
            Err(errors)
        }
    }

    /// The trimmed cell of `column` in a row ("" when absent). A leading `'` that an
    /// export added to neutralise a formula is dropped, so exports load back unchanged.
    pub fn get<'a>(&self, cells: &'a [String], column: &str) -> &'a str {
        let Some(j) = self.kind.columns().iter().position(|c| c.name == column) else {
            return "";
        };
        let v = self.index[j]
            .and_then(|i| cells.get(i))
            .map_or("", |s| s.trim());
        match v.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => v,
        }
    }

    /// The header as the file wrote it, for messages.
    pub fn header(&self, column: &str) -> String {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == column)
            .map_or_else(|| column.to_owned(), |j| self.written[j].clone())
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The number of cells beyond the known columns that hold text (a shifted row).
    pub fn has_column(&self, column: &str) -> bool {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == column)
            .is_some_and(|j| self.index[j].is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn chinese_and_english_headers_map() {
        let h = HeaderMap::new(
            Kind::Units,
            &s(&["单位编号", "name", "KIND", "区划代码"]),
            1,
        )
        .unwrap();
        let row = s(&["k1", "应急局", "department", "'-500101"]);
        assert_eq!(h.get(&row, "key"), "k1");
        assert_eq!(h.get(&row, "kind"), "department");
        assert_eq!(h.get(&row, "area"), "-500101");
        assert_eq!(h.header("name"), "name");
    }

    #[test]
    fn bad_headers_are_all_reported() {
        let e = HeaderMap::new(Kind::Units, &s(&["名称", "name", "name"]), 1).unwrap_err();
        let reasons: Vec<&str> = e.iter().map(|e| e.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("unknown column \"名称\""),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("appears twice"));
        assert!(reasons.iter().any(|r| r.contains("单位类型")));
        assert!(reasons.iter().any(|r| r.contains("(key) is needed")));
    }
}
