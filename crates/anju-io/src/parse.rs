//! Table rows to validated domain records. Every problem is collected, each named by
//! line and column; a batch exists only when there are none. Checks that need the
//! database (does the area exist, is it in the caller's scope, does the officer exist)
//! belong to the store, which reports them the same way using the lines kept here.

use std::collections::HashMap;

use anju_core::ValidationError;
use anju_core::household::{
    House, HouseInput, Household, HouseholdInput, MemberInput, PovertyCategory, StructureType,
};
use anju_core::officer::{DutyInput, DutyRole, Officer, OfficerInput, Unit, UnitInput, UnitKind};
use time::Date;
use uuid::Uuid;

use crate::columns::{HOUSEHOLD_FIELDS, HeaderMap, Kind};
use crate::labels::{self, DUTY_ROLE, POVERTY, STRUCTURE, UNIT_KIND};
use crate::{RowError, SourceRow, Table, derived_id};

/// One record of a file, with the lines it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The record's first line.
    pub line: u64,
    /// Every line of the record (a household's member rows, in order).
    pub lines: Vec<u64>,
    pub id: Uuid,
    pub value: T,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Batch {
    Households(Vec<Parsed<Household>>),
    Houses(Vec<Parsed<House>>),
    Units(Vec<Parsed<Unit>>),
    Officers(Vec<Parsed<Officer>>),
}

impl Batch {
    pub fn kind(&self) -> Kind {
        match self {
            Batch::Households(_) => Kind::Households,
            Batch::Houses(_) => Kind::Houses,
            Batch::Units(_) => Kind::Units,
            Batch::Officers(_) => Kind::Officers,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Batch::Households(v) => v.len(),
            Batch::Houses(v) => v.len(),
            Batch::Units(v) => v.len(),
            Batch::Officers(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parses a whole table as `kind`, checking every field against `today`.
/// A parsed file: the records that passed, the problems of those that did not, and the
/// header map (the store names columns as the file did). The store still checks the
/// good records against the database, so one report names every bad row.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub batch: Batch,
    pub headers: HeaderMap,
    pub errors: Vec<RowError>,
}

/// Parses a table; only a header that cannot be mapped fails outright.
pub fn parse_file(kind: Kind, table: &Table, today: Date) -> Result<ParsedFile, Vec<RowError>> {
    let h = HeaderMap::new(kind, &table.headers, table.header_line)?;
    let mut errors = Vec::new();
    for r in &table.rows {
        let extra = r.cells.len() > table.headers.len()
            && r.cells[table.headers.len()..]
                .iter()
                .any(|c| !c.trim().is_empty());
        if extra {
            errors.push(RowError::new(
                r.line,
                "",
                format!(
                    "the row has more cells than the header's {} columns",
                    table.headers.len()
                ),
            ));
        }
    }
    let batch = match kind {
        Kind::Households => Batch::Households(households(&h, &table.rows, today, &mut errors)),
        Kind::Houses => Batch::Houses(singles(&h, &table.rows, &mut errors, |r| {
            house(&h, r, today)
        })),
        Kind::Units => Batch::Units(singles(&h, &table.rows, &mut errors, |r| unit(&h, r))),
        Kind::Officers => {
            Batch::Officers(singles(&h, &table.rows, &mut errors, |r| officer(&h, r)))
        }
    };
    errors.sort_by_key(|e| e.line);
    Ok(ParsedFile {
        batch,
        headers: h,
        errors,
    })
}

/// Parses a table, failing on any bad row.
pub fn parse_batch(
    kind: Kind,
    table: &Table,
    today: Date,
) -> Result<(Batch, HeaderMap), Vec<RowError>> {
    let f = parse_file(kind, table, today)?;
    if f.errors.is_empty() {
        Ok((f.batch, f.headers))
    } else {
        Err(f.errors)
    }
}

/// Maps a validation field path (`members[2].id_number`) to its line and column.
fn place(h: &HeaderMap, lines: &[u64], field: &str) -> (u64, String) {
    let first = lines.first().copied().unwrap_or(0);
    if let Some(rest) = field.strip_prefix("members[")
        && let Some((i, sub)) = rest.split_once("].")
    {
        let line = i
            .parse::<usize>()
            .ok()
            .and_then(|i| lines.get(i))
            .copied()
            .unwrap_or(first);
        let col = if sub == "name" { "member_name" } else { sub };
        return (line, h.header(col));
    }
    if field == "members" {
        return (first, h.header("member_name"));
    }
    if field.starts_with("duties[") {
        return (first, h.header("duties"));
    }
    (first, h.header(field))
}

fn push_validation(h: &HeaderMap, lines: &[u64], v: ValidationError, out: &mut Vec<RowError>) {
    for e in v.errors {
        let (line, col) = place(h, lines, &e.field);
        out.push(RowError::new(line, col, e.message));
    }
}

/// The record id a row names: its `id`, or the one derived from its natural key.
fn row_id(
    h: &HeaderMap,
    r: &SourceRow,
    scope_of_key: &str,
    errors: &mut Vec<RowError>,
) -> Option<Uuid> {
    let id = h.get(&r.cells, "id");
    let key = h.get(&r.cells, "key");
    if !id.is_empty() {
        match Uuid::parse_str(id) {
            Ok(u) => Some(u),
            Err(_) => {
                errors.push(RowError::new(
                    r.line,
                    h.header("id"),
                    format!("{id:?} is not a UUID"),
                ));
                None
            }
        }
    } else if !key.is_empty() {
        Some(derived_id(h.kind(), scope_of_key, key))
    } else {
        errors.push(RowError::new(
            r.line,
            h.header(if h.has_column("key") { "key" } else { "id" }),
            "each row needs an id or a key",
        ));
        None
    }
}

fn opt_uuid(
    h: &HeaderMap,
    r: &SourceRow,
    col: &str,
    errors: &mut Vec<RowError>,
) -> Option<Option<Uuid>> {
    let s = h.get(&r.cells, col);
    if s.is_empty() {
        return Some(None);
    }
    match Uuid::parse_str(s) {
        Ok(u) => Some(Some(u)),
        Err(_) => {
            errors.push(RowError::new(
                r.line,
                h.header(col),
                format!("{s:?} is not a UUID"),
            ));
            None
        }
    }
}

fn number<T: std::str::FromStr>(
    h: &HeaderMap,
    r: &SourceRow,
    col: &str,
    what: &str,
    errors: &mut Vec<RowError>,
) -> Option<Option<T>> {
    let s = h.get(&r.cells, col);
    if s.is_empty() {
        return Some(None);
    }
    match s.parse::<T>() {
        Ok(v) => Some(Some(v)),
        Err(_) => {
            errors.push(RowError::new(
                r.line,
                h.header(col),
                format!("{s:?} is not {what}"),
            ));
            None
        }
    }
}

/// Houses, units, officers: one row per record, each id at most once.
fn singles<T>(
    h: &HeaderMap,
    rows: &[SourceRow],
    errors: &mut Vec<RowError>,
    parse: impl Fn(&SourceRow) -> Result<(Uuid, T), Vec<RowError>>,
) -> Vec<Parsed<T>> {
    let mut seen: HashMap<Uuid, u64> = HashMap::with_capacity(rows.len());
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match parse(r) {
            Ok((id, value)) => {
                if let Some(first) = seen.insert(id, r.line) {
                    let col = if h.get(&r.cells, "id").is_empty() {
                        "key"
                    } else {
                        "id"
                    };
                    errors.push(RowError::new(
                        r.line,
                        h.header(col),
                        format!("duplicate key: the same record is on line {first}"),
                    ));
                    seen.insert(id, first);
                } else {
                    out.push(Parsed {
                        line: r.line,
                        lines: vec![r.line],
                        id,
                        value,
                    });
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    out
}

fn finish<T>(
    h: &HeaderMap,
    r: &SourceRow,
    id: Option<Uuid>,
    mut errors: Vec<RowError>,
    v: Result<T, ValidationError>,
) -> Result<(Uuid, T), Vec<RowError>> {
    match v {
        Ok(t) if errors.is_empty() => id.map(|id| (id, t)).ok_or(errors),
        Ok(_) => Err(errors),
        Err(v) => {
            push_validation(h, &[r.line], v, &mut errors);
            Err(errors)
        }
    }
}

fn house(h: &HeaderMap, r: &SourceRow, today: Date) -> Result<(Uuid, House), Vec<RowError>> {
    let mut errors = Vec::new();
    let area = h.get(&r.cells, "area");
    let id = row_id(h, r, area, &mut errors);
    let lon = number::<f64>(h, r, "lon", "a number", &mut errors);
    let lat = number::<f64>(h, r, "lat", "a number", &mut errors);
    let floors = number::<i64>(h, r, "floors", "a whole number", &mut errors);
    let rooms = number::<i64>(h, r, "rooms", "a whole number", &mut errors);
    let year = number::<i64>(h, r, "year_built", "a year", &mut errors);
    let owner = opt_uuid(h, r, "owner_household_id", &mut errors);
    for (col, v) in [
        ("lon", lon.flatten().is_none()),
        ("lat", lat.flatten().is_none()),
    ] {
        if v && h.get(&r.cells, col).is_empty() {
            errors.push(RowError::new(r.line, h.header(col), "must not be empty"));
        }
    }
    if floors.is_some_and(|f| f.is_none()) {
        errors.push(RowError::new(
            r.line,
            h.header("floors"),
            "must not be empty",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let input = HouseInput {
        id: None,
        area: area.to_owned(),
        address: h.get(&r.cells, "address").to_owned(),
        lon: lon.flatten().unwrap_or_default(),
        lat: lat.flatten().unwrap_or_default(),
        structure: labels::to_code(
            STRUCTURE,
            StructureType::as_str,
            h.get(&r.cells, "structure"),
        ),
        floors: floors.flatten().unwrap_or_default(),
        rooms: rooms.flatten(),
        year_built: year.flatten(),
        owner_household_id: owner.flatten(),
    };
    finish(h, r, id, errors, input.validate(today))
}

fn unit(h: &HeaderMap, r: &SourceRow) -> Result<(Uuid, Unit), Vec<RowError>> {
    let mut errors = Vec::new();
    let area = h.get(&r.cells, "area");
    let id = row_id(h, r, area, &mut errors);
    let input = UnitInput {
        id: None,
        name: h.get(&r.cells, "name").to_owned(),
        kind: labels::to_code(UNIT_KIND, UnitKind::as_str, h.get(&r.cells, "kind")),
        area: area.to_owned(),
        phone: Some(h.get(&r.cells, "phone").to_owned()),
    };
    finish(h, r, id, errors, input.validate())
}

/// `500101001001:网格员;500101:leader` — duties as area:role pairs.
fn duties(cell: &str) -> Vec<DutyInput> {
    cell.split([';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|d| {
            let (area, role) = d.split_once([':', '：']).unwrap_or((d, ""));
            DutyInput {
                area: area.trim().to_owned(),
                role: labels::to_code(DUTY_ROLE, DutyRole::as_str, role.trim()),
                shifts: vec![],
            }
        })
        .collect()
}

fn officer(h: &HeaderMap, r: &SourceRow) -> Result<(Uuid, Officer), Vec<RowError>> {
    let mut errors = Vec::new();
    let unit_cell = h.get(&r.cells, "unit_id");
    let id = row_id(h, r, unit_cell, &mut errors);
    let unit_id = match Uuid::parse_str(unit_cell) {
        Ok(u) => Some(u),
        Err(_) => {
            errors.push(RowError::new(
                r.line,
                h.header("unit_id"),
                format!("{unit_cell:?} is not a UUID"),
            ));
            None
        }
    };
    let title = h.get(&r.cells, "title");
    let input = OfficerInput {
        id: None,
        name: h.get(&r.cells, "name").to_owned(),
        phone: Some(h.get(&r.cells, "phone").to_owned()),
        unit_id: unit_id.unwrap_or_default(),
        title: (!title.is_empty()).then(|| title.to_owned()),
        duties: duties(h.get(&r.cells, "duties")),
    };
    finish(h, r, id, errors, input.validate())
}

/// Member rows grouped into households by `id` (or `key`), in order of first appearance.
fn households(
    h: &HeaderMap,
    rows: &[SourceRow],
    today: Date,
    errors: &mut Vec<RowError>,
) -> Vec<Parsed<Household>> {
    struct Group<'a> {
        rows: Vec<&'a SourceRow>,
        id: Option<Uuid>,
    }
    let mut order: Vec<Group> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::with_capacity(rows.len() / 2);
    for r in rows {
        let id = h.get(&r.cells, "id");
        let key = h.get(&r.cells, "key");
        let group_key = if !id.is_empty() {
            format!("i:{}", id.to_ascii_lowercase())
        } else {
            format!("k:{key}")
        };
        match by_key.get(&group_key) {
            Some(&g) => order[g].rows.push(r),
            None => {
                let rid = row_id(h, r, h.get(&r.cells, "area"), errors);
                by_key.insert(group_key, order.len());
                order.push(Group {
                    rows: vec![r],
                    id: rid,
                });
            }
        }
    }
    drop(by_key);
    let mut id_numbers: HashMap<String, u64> = HashMap::with_capacity(rows.len());
    let mut out = Vec::with_capacity(order.len());
    for g in order {
        let first = g.rows[0];
        let mut ok = g.id.is_some();
        for r in &g.rows[1..] {
            for f in HOUSEHOLD_FIELDS {
                let v = h.get(&r.cells, f);
                if !v.is_empty() && v != h.get(&first.cells, f) {
                    ok = false;
                    errors.push(RowError::new(
                        r.line,
                        h.header(f),
                        format!(
                            "differs from line {}: rows with the same id or key are one household (duplicate key?)",
                            first.line
                        ),
                    ));
                }
            }
        }
        for r in &g.rows {
            let n = h.get(&r.cells, "id_number");
            if !n.is_empty()
                && let Some(prev) = id_numbers.insert(n.to_ascii_uppercase(), r.line)
            {
                ok = false;
                errors.push(RowError::new(
                    r.line,
                    h.header("id_number"),
                    format!("duplicate identity number: also on line {prev}"),
                ));
            }
        }
        let mut vuln_ok = true;
        let members: Vec<MemberInput> = g
            .rows
            .iter()
            .map(|r| {
                let relation = h.get(&r.cells, "relation");
                let vulnerabilities =
                    match labels::vulnerabilities(h.get(&r.cells, "vulnerabilities")) {
                        Ok(v) => v,
                        Err(e) => {
                            vuln_ok = false;
                            errors.push(RowError::new(r.line, h.header("vulnerabilities"), e));
                            vec![]
                        }
                    };
                MemberInput {
                    name: h.get(&r.cells, "member_name").to_owned(),
                    sex: h.get(&r.cells, "sex").to_owned(),
                    birth_date: h.get(&r.cells, "birth_date").to_owned(),
                    id_number: Some(h.get(&r.cells, "id_number").to_owned()),
                    relation: (!relation.is_empty()).then(|| relation.to_owned()),
                    vulnerabilities,
                }
            })
            .collect();
        let mut bad_ref = false;
        let mut refs = [None, None];
        for (i, f) in ["responsible_officer_id", "grid_officer_id"]
            .iter()
            .enumerate()
        {
            match opt_uuid(h, first, f, errors) {
                Some(u) => refs[i] = u,
                None => bad_ref = true,
            }
        }
        let input = HouseholdInput {
            id: None,
            area: h.get(&first.cells, "area").to_owned(),
            address: h.get(&first.cells, "address").to_owned(),
            head_name: h.get(&first.cells, "head_name").to_owned(),
            phone: Some(h.get(&first.cells, "phone").to_owned()),
            responsible_officer_id: refs[0],
            grid_officer_id: refs[1],
            poverty_category: Some(labels::to_code(
                POVERTY,
                PovertyCategory::as_str,
                h.get(&first.cells, "poverty_category"),
            )),
            members,
        };
        let lines: Vec<u64> = g.rows.iter().map(|r| r.line).collect();
        match input.validate(today) {
            Ok(v) if ok && vuln_ok && !bad_ref => {
                if let Some(id) = g.id {
                    out.push(Parsed {
                        line: first.line,
                        lines,
                        id,
                        value: v,
                    });
                }
            }
            Ok(_) => {}
            Err(v) => push_validation(h, &lines, v, errors),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_table;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn parse(kind: Kind, csv: &str) -> Result<Batch, Vec<RowError>> {
        parse_batch(kind, &read_table(csv.as_bytes(), None).unwrap(), TODAY).map(|(b, _)| b)
    }

    const HEAD: &str = "户编号,区划代码,地址,户主姓名,联系电话,成员姓名,性别,出生日期,身份证号,与户主关系,特殊群体\n";

    #[test]
    fn members_group_into_households() {
        let csv = format!(
            "{HEAD}A1,500101001001,万州3组,张建国,13812345678,张建国,男,1950-05-06,500101195005060014,户主,残疾\n\
             A1,,,,,李秀英,女,1952-01-01,,配偶,\n\
             B2,500101001001,万州4组,王五,,王五,male,1980-02-02,,,\n"
        );
        let Batch::Households(h) = parse(Kind::Households, &csv).unwrap() else {
            panic!()
        };
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].lines, [2, 3]);
        assert_eq!(h[0].value.members.len(), 2);
        assert_eq!(h[0].id, derived_id(Kind::Households, "500101001001", "A1"));
    }

    #[test]
    fn every_bad_row_is_named() {
        let csv = format!(
            "{HEAD}A1,500101001001,万州3组,张建国,,张建国,男,1950-05-06,500101195005060015,户主,\n\
             A1,500101001002,,,,李秀英,女,1952-13-01,,配偶,\n\
             B2,500101001001,万州4组,王五,,王五,x,1980-02-02,,,富豪\n"
        );
        let e = parse(Kind::Households, &csv).unwrap_err();
        let got: Vec<(u64, &str)> = e.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert!(got.contains(&(2, "身份证号")), "{e:?}");
        assert!(got.contains(&(3, "区划代码")), "{e:?}");
        assert!(got.contains(&(3, "出生日期")), "{e:?}");
        assert!(got.contains(&(4, "性别")), "{e:?}");
        assert!(got.contains(&(4, "特殊群体")), "{e:?}");
        assert!(e.iter().any(|e| e.reason.contains("check digit")), "{e:?}");
    }

    #[test]
    fn houses_numbers_and_duplicates() {
        let csv = "key,area,lon,lat,structure,floors\n\
                   h1,500101001001,108.4,30.8,砖混,2\n\
                   h1,500101001001,108.4,30.8,brick_wood,2\n\
                   h2,500101001001,abc,30.8,stone,two\n";
        let e = parse(Kind::Houses, csv).unwrap_err();
        let got: Vec<(u64, &str)> = e.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(got, [(3, "key"), (4, "lon"), (4, "floors")], "{e:?}");
    }

    #[test]
    fn officers_duties() {
        let u = Uuid::now_v7();
        let csv =
            format!("key,name,unit_id,duties\no1,李四,{u},500101001001:网格员;500101:leader\n");
        let Batch::Officers(o) = parse(Kind::Officers, &csv).unwrap() else {
            panic!()
        };
        assert_eq!(o[0].value.duties.len(), 2);
        assert_eq!(o[0].value.duties[0].role, DutyRole::GridMember);
        let bad = format!("key,name,unit_id,duties\no1,李四,{u},500101:boss\n");
        assert_eq!(parse(Kind::Officers, &bad).unwrap_err()[0].column, "duties");
    }
}
