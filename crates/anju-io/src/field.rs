//! Field forms: house damage assessments exported from KoboToolbox or ODK (Central,
//! Briefcase) as CSV or XLSX, turned into assessment records with every bad row named.
//!
//! The exports are read in the shape their tools write them:
//! - submission columns `_uuid` (Kobo; ODK: `meta-instanceID`, `instanceID` or `KEY`,
//!   with a `uuid:` prefix), `_submission_time` (ODK: `SubmissionDate`), `_id`, `_index`;
//! - question columns named by their path: `group/question` (Kobo), `group-question` or
//!   `group:question` (ODK Central, Briefcase);
//! - a geopoint as one cell `lat lon alt acc` and/or split columns
//!   (`_location_latitude` in Kobo, `location-Latitude` in ODK);
//! - select_one answers as choice names.
//!
//! A [`FieldMapping`] (saved per form) says which question holds which of our fields;
//! fields it leaves out are found by their default names, matched on the last path
//! segment when only one column has it. Other columns (`start`, `deviceid`,
//! `_validation_status`, …) are ignored: exports carry many.
//!
//! Parsing needs no database. The checks that do (the house exists, lies in the
//! caller's scope and the disaster's areas, has that many rooms) take the facts the
//! store looked up ([`FieldFacts`]) and report in the same way, so one report lists
//! both kinds of problem.

use std::collections::{BTreeMap, HashMap, HashSet};

use anju_core::GeoPoint;
use anju_core::household::format_date;
use anju_core::recovery::{AssessmentInput, DamageGrade, NewAssessment, Outcome};
use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
use uuid::Uuid;

use crate::decode::decode;
use crate::table::{MAX_LINE_BYTES, is_xlsx, read_csv, read_xlsx, source_name};
use crate::{Kind, RowError, SourceRow, Table, derived_id};

/// China Standard Time: `_submission_time` is UTC, the date an assessor means is local.
const CST: UtcOffset = time::macros::offset!(+8);

/// A grade as forms write it: the code in any case, a choice name such as `grade_c` or
/// `c_level`, or a Chinese label (`C级`, `C级危房`, `局部危房`, `无法进入`).
pub fn parse_outcome(cell: &str) -> Option<Outcome> {
    let s = cell.trim();
    let lower = s.to_lowercase();
    match lower.as_str() {
        "inaccessible" | "not_accessible" | "no_access" | "unreachable" | "无法进入"
        | "无法到达" | "未能进入" => return Some(Outcome::Inaccessible),
        "局部危房" => return Some(Outcome::Graded(DamageGrade::C)),
        "整幢危房" => return Some(Outcome::Graded(DamageGrade::D)),
        _ => {}
    }
    let core = lower
        .trim_start_matches("grade")
        .trim_start_matches(['_', '-', ' '])
        .trim_end_matches("危房")
        .trim_end_matches("级")
        .trim_end_matches("level")
        .trim_end_matches(['_', '-', ' ']);
    DamageGrade::parse(&core.to_uppercase()).map(Outcome::Graded)
}

/// Our fields, in the order of the docs; `name` is how a mapping names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Uuid,
    SubmissionTime,
    HouseId,
    HouseKey,
    Area,
    Outcome,
    RoomsCollapsed,
    RoomsDamaged,
    AssessedOn,
    Assessor,
    Note,
    Location,
    Lat,
    Lon,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Uuid,
        Field::SubmissionTime,
        Field::HouseId,
        Field::HouseKey,
        Field::Area,
        Field::Outcome,
        Field::RoomsCollapsed,
        Field::RoomsDamaged,
        Field::AssessedOn,
        Field::Assessor,
        Field::Note,
        Field::Location,
        Field::Lat,
        Field::Lon,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Field::Uuid => "uuid",
            Field::SubmissionTime => "submission_time",
            Field::HouseId => "house_id",
            Field::HouseKey => "house_key",
            Field::Area => "area",
            Field::Outcome => "outcome",
            Field::RoomsCollapsed => "rooms_collapsed",
            Field::RoomsDamaged => "rooms_damaged",
            Field::AssessedOn => "assessed_on",
            Field::Assessor => "assessor",
            Field::Note => "note",
            Field::Location => "location",
            Field::Lat => "lat",
            Field::Lon => "lon",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Self::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The question names looked for when the mapping leaves the field out, in order.
    pub const fn defaults(self) -> &'static [&'static str] {
        match self {
            Field::Uuid => &["_uuid", "meta/instanceID", "instanceID", "KEY"],
            Field::SubmissionTime => &["_submission_time", "SubmissionDate"],
            Field::HouseId => &["house_id"],
            Field::HouseKey => &["house_key"],
            Field::Area => &["area"],
            Field::Outcome => &["grade", "outcome", "damage_grade"],
            Field::RoomsCollapsed => &["rooms_collapsed"],
            Field::RoomsDamaged => &["rooms_damaged"],
            Field::AssessedOn => &["assessed_on", "assessment_date"],
            Field::Assessor => &["assessor", "assessor_id"],
            Field::Note => &["note", "notes", "remarks"],
            Field::Location => &["location", "geopoint", "gps"],
            Field::Lat => &[],
            Field::Lon => &[],
        }
    }
}

/// Which question of a form holds which of our fields (`house_id ← house/house_id`),
/// and, for forms whose grade choices have names of their own, what each one means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// Our field name → the question's path (`damage/grade`) or name (`grade`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The form's choice name → our grade (`"1": "A"`); checked before the usual spellings.
    #[serde(default)]
    pub grades: BTreeMap<String, String>,
}

impl FieldMapping {
    /// Every problem with the mapping itself: unknown fields, empty paths, unknown grades.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        for (k, v) in &self.fields {
            if Field::parse(k).is_none() {
                errors.push(format!(
                    "unknown field {k:?}; the fields are {}",
                    Field::ALL.map(Field::name).join(", ")
                ));
            }
            if v.trim().is_empty() {
                errors.push(format!("the question of {k} is empty"));
            }
        }
        for (k, v) in &self.grades {
            if parse_outcome(v).is_none() {
                errors.push(format!(
                    "the choice {k:?} maps to {v:?}, which is not A, B, C, D or inaccessible"
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn grade(&self, cell: &str) -> Option<Outcome> {
        self.grades
            .get(cell.trim())
            .and_then(|g| parse_outcome(g))
            .or_else(|| parse_outcome(cell))
    }
}

/// What a row is checked against besides itself.
#[derive(Debug, Clone, Copy)]
pub struct FieldContext {
    /// No assessment is dated after today (in Chongqing).
    pub today: Date,
    /// Nor before the disaster began.
    pub not_before: Option<Date>,
}

/// One submission, valid on its own (anju-core's checks of an assessment passed).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldAssessment {
    /// The line (CSV) or sheet row (XLSX).
    pub line: u64,
    /// The submission's `_uuid` (or ODK instance id), lower case, without `uuid:`; also
    /// the assessment's `source_uuid`.
    pub uuid: String,
    pub assessment: NewAssessment,
}

impl FieldAssessment {
    /// A digest of what the submission says (not how the file spelt it): the same
    /// submission from a CSV or an XLSX export, re-exported later, gives the same value,
    /// and any change of content gives another. Re-imports compare it.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let a = &self.assessment;
        let mut h = Sha256::new();
        let point = a
            .point
            .map(|p| format!("{:.7},{:.7}", p.lon, p.lat))
            .unwrap_or_default();
        for part in [
            a.house_id.to_string(),
            a.outcome.as_str().to_owned(),
            a.rooms_collapsed.to_string(),
            a.rooms_damaged.to_string(),
            format_date(a.assessed_on),
            a.assessor_officer_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            a.note.clone(),
            point,
        ] {
            // Length-prefixed, so no two different records share an encoding.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where each field sits in the file, and the header the file used for it.
#[derive(Debug, Clone, Default)]
pub struct FieldColumns {
    index: HashMap<Field, (usize, String)>,
}

impl FieldColumns {
    fn cell<'a>(&self, f: Field, cells: &'a [String]) -> &'a str {
        self.index
            .get(&f)
            .and_then(|(i, _)| cells.get(*i))
            .map_or("", |s| s.trim())
    }

    /// The header as the file wrote it (our field name when the file has no such column).
    pub fn header(&self, f: Field) -> String {
        self.index
            .get(&f)
            .map_or_else(|| f.name().to_owned(), |(_, h)| h.clone())
    }

    pub fn has(&self, f: Field) -> bool {
        self.index.contains_key(&f)
    }
}

/// A parsed export: the submissions that passed, the problems of those that did not.
#[derive(Debug, Clone)]
pub struct FieldFile {
    pub records: Vec<FieldAssessment>,
    pub errors: Vec<RowError>,
    pub columns: FieldColumns,
}

/// What the store knows of a house a file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseFacts {
    /// In the importing user's subtree.
    pub in_scope: bool,
    /// In an area the disaster affected.
    pub in_disaster: bool,
    pub archived: bool,
    pub rooms: Option<i64>,
}

/// The facts of the houses and officers a file names (absent: no such record).
#[derive(Debug, Clone, Default)]
pub struct FieldFacts {
    pub houses: HashMap<Uuid, HouseFacts>,
    pub officers: HashSet<Uuid>,
}

/// Reads an export: XLSX (`sheet`, else the first: Kobo puts the main form there and
/// repeat groups on later sheets), or CSV in UTF-8 or GB18030 separated by `,`, `;`
/// (Kobo's default) or tabs, whichever the header line uses.
pub fn read_field_table(bytes: &[u8], sheet: Option<&str>) -> Result<Table, Vec<RowError>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![RowError::file("the file is empty")]);
    }
    if is_xlsx(bytes) {
        return read_xlsx(bytes, sheet);
    }
    let (text, enc) = decode(bytes).map_err(|e| vec![e])?;
    read_csv(&text, source_name(enc), sniff_delimiter(&text))
}

/// The separator the first non-blank line uses most, outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let line = &line[..line.len().min(MAX_LINE_BYTES)];
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// A header or a mapping's question as a path of lower-case segments: Kobo writes
/// `group/question`, ODK Central and Briefcase `group-question` or `group:question`.
fn path(s: &str) -> Vec<String> {
    s.trim()
        .split(['/', '-', ':'])
        .filter(|p| !p.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The columns whose header is `target` (a path) or, for a bare name, whose last
/// segment is `target`.
fn find(headers: &[Vec<String>], target: &str) -> Vec<usize> {
    let t = path(target);
    if t.is_empty() {
        return vec![];
    }
    let exact: Vec<usize> = (0..headers.len()).filter(|i| headers[*i] == t).collect();
    if !exact.is_empty() || t.len() > 1 {
        return exact;
    }
    (0..headers.len())
        .filter(|i| headers[*i].last() == t.last())
        .collect()
}

/// Maps the header row; a column named twice, a mapped question missing from the file,
/// an ambiguous name and a missing required field are all reported.
fn map_columns(
    table: &Table,
    mapping: &FieldMapping,
) -> Result<(FieldColumns, Vec<Vec<String>>), Vec<RowError>> {
    let line = table.header_line;
    let mut errors: Vec<RowError> = mapping
        .check()
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|m| RowError::new(line, "", format!("the mapping: {m}")))
        .collect();
    let headers: Vec<Vec<String>> = table.headers.iter().map(|h| path(h)).collect();
    let mut cols = FieldColumns::default();
    let take = |f: Field, i: usize, cols: &mut FieldColumns| {
        cols.index.insert(f, (i, table.headers[i].clone()));
    };
    let ambiguous = |f: Field, target: &str, hits: &[usize]| {
        RowError::new(
            line,
            table.headers[hits[0]].clone(),
            format!(
                "{} ({target}) matches the columns {}; name the question's whole path in the mapping",
                f.name(),
                hits.iter()
                    .map(|i| table.headers[*i].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    // One header written twice is reported once, below, not as an ambiguity.
    let same = |hits: &[usize]| hits.iter().all(|i| headers[*i] == headers[hits[0]]);
    for f in Field::ALL {
        if let Some(target) = mapping.fields.get(f.name()) {
            match find(&headers, target).as_slice() {
                [] => errors.push(RowError::new(
                    line,
                    target.clone(),
                    format!(
                        "the mapping puts {} in the question {target}, but the file has no such column",
                        f.name()
                    ),
                )),
                [i] => take(f, *i, &mut cols),
                hits if same(hits) => {}
                hits => errors.push(ambiguous(f, target, hits)),
            }
            continue;
        }
        for target in f.defaults() {
            match find(&headers, target).as_slice() {
                [] => continue,
                [i] => take(f, *i, &mut cols),
                hits if same(hits) => {}
                hits => errors.push(ambiguous(f, target, hits)),
            }
            break;
        }
    }
    // A column written twice would make "which one counts" a guess.
    let mut seen: HashMap<&[String], usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if seen.insert(h.as_slice(), i).is_some() {
            errors.push(RowError::new(
                line,
                table.headers[i].clone(),
                format!("the column {} appears twice", table.headers[i]),
            ));
        }
    }
    // The split geopoint columns, found from the geopoint question's name.
    let loc_names: Vec<String> = match cols.index.get(&Field::Location) {
        Some((i, _)) => headers[*i].last().cloned().into_iter().collect(),
        None => Field::Location
            .defaults()
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    for (f, suffix) in [(Field::Lat, "latitude"), (Field::Lon, "longitude")] {
        if cols.has(f) {
            continue;
        }
        let hit = headers.iter().position(|h| {
            loc_names.iter().any(|loc| {
                let kobo = format!("{loc}_{suffix}");
                let last = h.last().map(|s| s.trim_start_matches('_'));
                last == Some(kobo.as_str())
                    || (h.len() >= 2 && h[h.len() - 1] == suffix && &h[h.len() - 2] == loc)
            })
        });
        if let Some(i) = hit {
            take(f, i, &mut cols);
        }
    }
    if !cols.has(Field::Uuid) {
        errors.push(RowError::new(
            line,
            "_uuid",
            "the column _uuid (or ODK's meta-instanceID) is missing: every submission needs its id so a re-import finds it",
        ));
    }
    let names_house =
        cols.has(Field::HouseId) || (cols.has(Field::HouseKey) && cols.has(Field::Area));
    if !names_house {
        errors.push(RowError::new(
            line,
            "house_id",
            "no column names the house: map house_id (the house's id) or house_key with area",
        ));
    }
    if !cols.has(Field::Outcome) {
        errors.push(RowError::new(
            line,
            "grade",
            "no column holds the grade: map outcome to the form's grade question",
        ));
    }
    if !cols.has(Field::AssessedOn) && !cols.has(Field::SubmissionTime) {
        errors.push(RowError::new(
            line,
            "_submission_time",
            "no column dates the assessment: map assessed_on, or keep _submission_time in the export",
        ));
    }
    if errors.is_empty() {
        Ok((cols, headers))
    } else {
        Err(errors)
    }
}

/// A date as forms and spreadsheets write it: `2023-07-08`, `2023/7/8`, or a date-time
/// (`2023-07-08T10:23:45`, with `Z`, `+08:00` or fractional seconds). A time with a zone
/// is taken to Chongqing's date; one without is local unless `utc` (Kobo's
/// `_submission_time` is UTC without saying so).
pub fn field_date(cell: &str, utc: bool) -> Result<Date, String> {
    let bad = || format!("{cell:?} is not a date like 2023-07-08");
    let s = cell.trim();
    let (date_part, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let mut parts = date_part.split(['-', '/']);
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    if y < 1900 || date_part.len() < 8 {
        return Err(bad());
    }
    let month = Month::try_from(m).map_err(|_| bad())?;
    let date = Date::from_calendar_date(y, month, d).map_err(|_| bad())?;
    if rest.is_empty() {
        return Ok(date);
    }
    // The time, then an optional zone.
    let zone_at = rest.find(['Z', 'z', '+']).or_else(|| rest.rfind('-'));
    let (clock, zone) = match zone_at {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut hms = clock.split(':');
    let h: u8 = hms.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let mi: u8 = hms.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let sec: f64 = match hms.next() {
        Some(x) => x.parse().map_err(|_| bad())?,
        None => 0.0,
    };
    if hms.next().is_some() || !(0.0..61.0).contains(&sec) {
        return Err(bad());
    }
    let t = Time::from_hms(h, mi, (sec as u8).min(59)).map_err(|_| bad())?;
    let local = PrimitiveDateTime::new(date, t);
    let offset = match zone {
        "" if utc => UtcOffset::UTC,
        "" => return Ok(date),
        "Z" | "z" => UtcOffset::UTC,
        z => {
            let sign: i8 = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return Err(bad());
            }
            let oh: i8 = digits[..2].parse().map_err(|_| bad())?;
            let om: i8 = digits[2..].parse().map_err(|_| bad())?;
            UtcOffset::from_hms(sign * oh, sign * om, 0).map_err(|_| bad())?
        }
    };
    Ok(local.assume_offset(offset).to_offset(CST).date())
}

/// A geopoint cell: `lat lon [alt [accuracy]]`, separated by spaces (commas tolerated).
pub fn geopoint(cell: &str) -> Result<GeoPoint, String> {
    let nums: Vec<&str> = cell.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    let bad = |why: &str| {
        format!("{cell:?} is not a geopoint (latitude longitude altitude accuracy): {why}")
    };
    if !(2..=4).contains(&nums.len()) {
        return Err(bad("it needs 2 to 4 numbers"));
    }
    let mut v = Vec::with_capacity(4);
    for n in &nums {
        v.push(
            n.parse::<f64>()
                .map_err(|_| bad(&format!("{n:?} is not a number")))?,
        );
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(bad("not a finite number"));
    }
    point(v[0], v[1]).map_err(|e| bad(&e))
}

fn point(lat: f64, lon: f64) -> Result<GeoPoint, String> {
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!("latitude {lat} is outside −90…90"));
    }
    GeoPoint::new(lon, lat).ok_or_else(|| format!("longitude {lon} is outside −180…180"))
}

/// Parses every row of an export. Only a header that cannot be mapped fails outright;
/// bad rows are reported in [`FieldFile::errors`] with their line and column.
pub fn parse_field_file(
    table: &Table,
    mapping: &FieldMapping,
    cx: &FieldContext,
) -> Result<FieldFile, Vec<RowError>> {
    let (cols, _) = map_columns(table, mapping)?;
    let mut errors = Vec::new();
    let mut records = Vec::with_capacity(table.rows.len());
    let mut uuids: HashMap<String, u64> = HashMap::with_capacity(table.rows.len());
    for r in &table.rows {
        let mut row_errors = Vec::new();
        let rec = parse_row(&cols, mapping, cx, r, &mut row_errors);
        if let Some(rec) = &rec
            && let Some(first) = uuids.insert(rec.uuid.clone(), r.line)
        {
            row_errors.push(RowError::new(
                r.line,
                cols.header(Field::Uuid),
                format!("duplicate _uuid: the same submission is on line {first}"),
            ));
            uuids.insert(rec.uuid.clone(), first);
        }
        match rec {
            Some(rec) if row_errors.is_empty() => records.push(rec),
            _ => errors.append(&mut row_errors),
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok(FieldFile {
        records,
        errors,
        columns: cols,
    })
}

/// One row; `None` when a problem was pushed.
fn parse_row(
    cols: &FieldColumns,
    mapping: &FieldMapping,
    cx: &FieldContext,
    r: &SourceRow,
    errors: &mut Vec<RowError>,
) -> Option<FieldAssessment> {
    let cell = |f: Field| cols.cell(f, &r.cells);
    let err = |f: Field, why: String| RowError::new(r.line, cols.header(f), why);
    let before = errors.len();

    let raw_uuid = cell(Field::Uuid);
    let uuid = raw_uuid
        .strip_prefix("uuid:")
        .unwrap_or(raw_uuid)
        .trim()
        .to_lowercase();
    if uuid.is_empty() {
        errors.push(err(
            Field::Uuid,
            "missing _uuid: the submission cannot be told apart from others on a re-import".into(),
        ));
    }

    let house_id = if cols.has(Field::HouseId) && !cell(Field::HouseId).is_empty() {
        let s = cell(Field::HouseId);
        match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                errors.push(err(
                    Field::HouseId,
                    format!("{s:?} is not a house id (the UUID of the house, as exports write it)"),
                ));
                None
            }
        }
    } else if cols.has(Field::HouseKey) && !cell(Field::HouseKey).is_empty() {
        let area = cell(Field::Area);
        if area.is_empty() {
            errors.push(err(Field::Area, "a house key needs the area code".into()));
            None
        } else {
            Some(derived_id(Kind::Houses, area, cell(Field::HouseKey)))
        }
    } else {
        let f = if cols.has(Field::HouseId) {
            Field::HouseId
        } else {
            Field::HouseKey
        };
        errors.push(err(f, "no house: the cell is empty".into()));
        None
    };

    let outcome = {
        let s = cell(Field::Outcome);
        match mapping.grade(s) {
            Some(g) => Some(g),
            None => {
                errors.push(err(
                    Field::Outcome,
                    if s.is_empty() {
                        "no grade: the cell is empty".into()
                    } else {
                        format!(
                            "{s:?} is not a grade: A, B, C, D or inaccessible (A级…D级, 无法进入)"
                        )
                    },
                ));
                None
            }
        }
    };

    let mut rooms = |f: Field| -> Option<i64> {
        let s = cell(f);
        if s.is_empty() {
            return Some(0);
        }
        // XLSX numbers come through as "2"; a form's decimal would be "2.0".
        let v = s
            .parse::<i64>()
            .ok()
            .or_else(|| s.strip_suffix(".0").and_then(|x| x.parse().ok()));
        match v {
            // The range is anju-core's check, below.
            Some(n) => Some(n),
            None => {
                errors.push(err(f, format!("{s:?} is not a whole number of rooms")));
                None
            }
        }
    };
    let rooms_collapsed = rooms(Field::RoomsCollapsed);
    let rooms_damaged = rooms(Field::RoomsDamaged);

    // The date question when the form has one and it is answered, else the submission's.
    let (date_field, utc) = if cols.has(Field::AssessedOn) && !cell(Field::AssessedOn).is_empty() {
        (Field::AssessedOn, false)
    } else {
        (Field::SubmissionTime, true)
    };
    let assessed_on = {
        let s = cell(date_field);
        if s.is_empty() {
            errors.push(err(date_field, "no date: the cell is empty".into()));
            None
        } else {
            match field_date(s, utc) {
                Ok(d) if d > cx.today => {
                    errors.push(err(date_field, format!("{s:?} is in the future")));
                    None
                }
                Ok(d) if cx.not_before.is_some_and(|b| d < b) => {
                    errors.push(err(
                        date_field,
                        format!(
                            "{s:?} is before the disaster began ({})",
                            cx.not_before
                                .map(anju_core::household::format_date)
                                .unwrap_or_default()
                        ),
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(err(date_field, e));
                    None
                }
            }
        }
    };

    let assessor_officer_id = {
        let s = cell(Field::Assessor);
        if s.is_empty() {
            Some(None)
        } else {
            match Uuid::parse_str(s) {
                Ok(u) => Some(Some(u)),
                Err(_) => {
                    errors.push(err(
                        Field::Assessor,
                        format!("{s:?} is not an officer id (give the form a choice list of officer ids)"),
                    ));
                    None
                }
            }
        }
    };

    let point = {
        let loc = cell(Field::Location);
        let (lat, lon) = (cell(Field::Lat), cell(Field::Lon));
        if !loc.is_empty() {
            match geopoint(loc) {
                Ok(p) => Some(Some(p)),
                Err(e) => {
                    errors.push(err(Field::Location, e));
                    None
                }
            }
        } else if lat.is_empty() && lon.is_empty() {
            Some(None)
        } else {
            match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(a), Ok(o)) => match point(a, o) {
                    Ok(p) => Some(Some(p)),
                    Err(e) => {
                        errors.push(err(Field::Lat, format!("not a geopoint: {e}")));
                        None
                    }
                },
                (Err(_), _) => {
                    errors.push(err(Field::Lat, format!("{lat:?} is not a latitude")));
                    None
                }
                (_, Err(_)) => {
                    errors.push(err(Field::Lon, format!("{lon:?} is not a longitude")));
                    None
                }
            }
        }
    };

    let note = cell(Field::Note);
    if errors.len() > before {
        return None;
    }
    let point = point?;
    let input = AssessmentInput {
        house_id: house_id?,
        outcome: outcome?.as_str().to_owned(),
        rooms_collapsed: rooms_collapsed?,
        rooms_damaged: rooms_damaged?,
        assessor_officer_id: assessor_officer_id?,
        assessed_on: format_date(assessed_on?),
        note: note.to_owned(),
        lon: point.map(|p| p.lon),
        lat: point.map(|p| p.lat),
        source_uuid: Some(uuid.clone()),
        ..Default::default()
    };
    // The rules every assessment obeys (rooms in range, an inaccessible house has no
    // counted rooms, a collapsed room means C or D, the note's length), named by column.
    match input.validate(cx.today) {
        Ok(assessment) => Some(FieldAssessment {
            line: r.line,
            uuid,
            assessment,
        }),
        Err(v) => {
            for e in v.errors {
                let f = match e.field.as_str() {
                    "outcome" => Some(Field::Outcome),
                    "rooms_collapsed" => Some(Field::RoomsCollapsed),
                    "rooms_damaged" => Some(Field::RoomsDamaged),
                    "assessed_on" => Some(date_field),
                    "note" => Some(Field::Note),
                    "lon" | "lat" => Some(Field::Location),
                    "source_uuid" => Some(Field::Uuid),
                    _ => None,
                };
                let col = f.map(|f| cols.header(f)).unwrap_or_default();
                errors.push(RowError::new(r.line, col, e.message));
            }
            None
        }
    }
}

impl FieldFile {
    /// The houses the records name, each once.
    pub fn house_ids(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self.records.iter().map(|r| r.assessment.house_id).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn officer_ids(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .records
            .iter()
            .filter_map(|r| r.assessment.assessor_officer_id)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Checks the records against what the store knows; the records that fail move to
    /// the errors.
    pub fn check(&mut self, facts: &FieldFacts) {
        let cols = &self.columns;
        let house_col = if cols.has(Field::HouseId) {
            cols.header(Field::HouseId)
        } else {
            cols.header(Field::HouseKey)
        };
        let mut kept = Vec::with_capacity(self.records.len());
        for r in std::mem::take(&mut self.records) {
            let a = &r.assessment;
            let before = self.errors.len();
            let mut push = |col: String, why: String| {
                self.errors.push(RowError::new(r.line, col, why));
            };
            match facts.houses.get(&a.house_id) {
                None => push(house_col.clone(), format!("no such house: {}", a.house_id)),
                Some(h) if !h.in_scope => push(
                    house_col.clone(),
                    format!("the house {} is outside your scope", a.house_id),
                ),
                Some(h) if h.archived => push(
                    house_col.clone(),
                    format!("the house {} is archived", a.house_id),
                ),
                Some(h) if !h.in_disaster => push(
                    house_col.clone(),
                    format!(
                        "the house {} is outside the areas affected by this disaster",
                        a.house_id
                    ),
                ),
                Some(h) => {
                    if let Some(n) = h.rooms
                        && a.rooms_collapsed + a.rooms_damaged > n
                    {
                        let col = if a.rooms_damaged > 0 && cols.has(Field::RoomsDamaged) {
                            cols.header(Field::RoomsDamaged)
                        } else {
                            cols.header(Field::RoomsCollapsed)
                        };
                        push(
                            col,
                            format!(
                                "{} rooms collapsed and {} damaged are more than the house's {n} rooms",
                                a.rooms_collapsed, a.rooms_damaged
                            ),
                        );
                    }
                }
            }
            if let Some(o) = a.assessor_officer_id
                && !facts.officers.contains(&o)
            {
                push(
                    cols.header(Field::Assessor),
                    format!("no such officer: {o}"),
                );
            }
            if self.errors.len() == before {
                kept.push(r);
            }
        }
        self.records = kept;
        self.errors.sort_by_key(|e| e.line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::GB18030;
    use time::macros::date;

    const H1: &str = "0190a000-0000-7000-8000-000000000001";
    const H2: &str = "0190a000-0000-7000-8000-000000000002";
    const OFFICER: &str = "0190a000-0000-7000-8000-0000000000aa";

    fn cx() -> FieldContext {
        FieldContext {
            today: date!(2023 - 12 - 18),
            not_before: Some(date!(2023 - 07 - 03)),
        }
    }

    fn facts() -> FieldFacts {
        let f = |in_scope, in_disaster, rooms| HouseFacts {
            in_scope,
            in_disaster,
            archived: false,
            rooms,
        };
        let mut houses = HashMap::new();
        houses.insert(Uuid::parse_str(H1).unwrap(), f(true, true, Some(4)));
        houses.insert(Uuid::parse_str(H2).unwrap(), f(true, true, None));
        houses.insert(
            Uuid::parse_str("0190a000-0000-7000-8000-000000000003").unwrap(),
            f(false, true, Some(3)),
        );
        FieldFacts {
            houses,
            officers: [Uuid::parse_str(OFFICER).unwrap()].into(),
        }
    }

    /// A Kobo export with group prefixes, `;`-separated, `_submission_time` in UTC.
    fn kobo_rows() -> Vec<Vec<String>> {
        let header = [
            "start",
            "house/house_id",
            "damage/grade",
            "damage/rooms_collapsed",
            "damage/rooms_damaged",
            "assessor",
            "note",
            "location",
            "_location_latitude",
            "_location_longitude",
            "_location_altitude",
            "_location_precision",
            "_id",
            "_uuid",
            "_submission_time",
            "_index",
        ];
        let row = |h: &str, g: &str, rc: &str, rd: &str, loc: &str, uuid: &str, t: &str, i| {
            vec![
                "2023-07-08T09:00:00.000+08:00".to_owned(),
                h.to_owned(),
                g.to_owned(),
                rc.to_owned(),
                rd.to_owned(),
                OFFICER.to_owned(),
                "后墙开裂".to_owned(),
                loc.to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                format!("{}", 1000 + i),
                uuid.to_owned(),
                t.to_owned(),
                format!("{i}"),
            ]
        };
        vec![
            header.map(str::to_owned).to_vec(),
            row(
                H1,
                "d",
                "1",
                "2",
                "30.81 108.39 250 5",
                "u-1",
                "2023-07-08T10:00:00",
                1,
            ),
            // 18:30 UTC is already the next day in Chongqing.
            row(H2, "B", "0", "1", "", "uuid:U-2", "2023-07-08T18:30:00", 2),
        ]
    }

    fn csv_text(rows: &[Vec<String>], sep: u8) -> String {
        let mut w = csv::WriterBuilder::new().delimiter(sep).from_writer(vec![]);
        for r in rows {
            w.write_record(r).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("房屋安全鉴定").unwrap();
        for (i, r) in rows.iter().enumerate() {
            for (j, c) in r.iter().enumerate() {
                // Numbers as numbers, as Kobo's XLSX export writes them.
                match c.parse::<f64>() {
                    Ok(n) if i > 0 && !c.is_empty() => {
                        ws.write_number(i as u32, j as u16, n).unwrap();
                    }
                    _ => {
                        ws.write_string(i as u32, j as u16, c).unwrap();
                    }
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    /// The same rows as UTF-8 CSV (`;`), GB18030 CSV (`,`) and XLSX.
    fn encodings(rows: &[Vec<String>]) -> Vec<(&'static str, Vec<u8>)> {
        let utf8 = csv_text(rows, b';').into_bytes();
        let text = csv_text(rows, b',');
        let (gb, _, _) = GB18030.encode(&text);
        vec![
            ("utf-8", utf8),
            ("gb18030", gb.into_owned()),
            ("xlsx", xlsx(rows)),
        ]
    }

    fn parse(bytes: &[u8], mapping: &FieldMapping) -> Result<FieldFile, Vec<RowError>> {
        let t = read_field_table(bytes, None)?;
        let mut f = parse_field_file(&t, mapping, &cx())?;
        f.check(&facts());
        Ok(f)
    }

    fn reasons(f: &FieldFile) -> Vec<(u64, String, String)> {
        f.errors
            .iter()
            .map(|e| (e.line, e.column.clone(), e.reason.clone()))
            .collect()
    }

    #[test]
    fn a_kobo_export_parses_in_every_encoding() {
        for (what, bytes) in encodings(&kobo_rows()) {
            let f = parse(&bytes, &FieldMapping::default()).unwrap();
            assert!(f.errors.is_empty(), "{what}: {:?}", f.errors);
            assert_eq!(f.records.len(), 2, "{what}");
            assert_eq!(f.records[0].line, 2);
            let a = &f.records[0].assessment;
            assert_eq!(f.records[0].uuid, "u-1");
            assert_eq!(a.outcome, Outcome::Graded(DamageGrade::D));
            assert_eq!((a.rooms_collapsed, a.rooms_damaged), (1, 2));
            assert_eq!(a.assessed_on, date!(2023 - 07 - 08));
            assert_eq!(a.note, "后墙开裂");
            assert_eq!(
                a.assessor_officer_id.map(|u| u.to_string()).as_deref(),
                Some(OFFICER)
            );
            let p = a.point.unwrap();
            assert!((p.lat - 30.81).abs() < 1e-9 && (p.lon - 108.39).abs() < 1e-9);
            assert_eq!(
                f.records[1].uuid, "u-2",
                "the uuid: prefix and case are dropped"
            );
            let b = &f.records[1].assessment;
            assert_eq!(b.source_uuid.as_deref(), Some("u-2"));
            assert_eq!(b.assessed_on, date!(2023 - 07 - 09), "{what}");
            assert_eq!(b.point, None);
        }
    }

    #[test]
    fn the_same_submission_has_the_same_fingerprint_in_csv_and_xlsx() {
        let prints: Vec<Vec<String>> = encodings(&kobo_rows())
            .iter()
            .map(|(_, b)| {
                let f = parse(b, &FieldMapping::default()).unwrap();
                f.records.iter().map(FieldAssessment::fingerprint).collect()
            })
            .collect();
        assert_eq!(prints[0], prints[1]);
        assert_eq!(prints[0], prints[2]);
        let mut changed = kobo_rows();
        changed[1][4] = "3".into();
        let f = parse(
            csv_text(&changed, b',').as_bytes(),
            &FieldMapping::default(),
        )
        .unwrap();
        assert_ne!(f.records[0].fingerprint(), prints[0][0]);
        assert_eq!(f.records[1].fingerprint(), prints[0][1]);
    }

    /// Every kind of bad row, one per line, in each encoding: all are reported, with the
    /// line and the column as the file names it.
    #[test]
    fn every_bad_row_is_reported_in_every_encoding() {
        let mut rows = kobo_rows();
        let good = rows[1].clone();
        let mut bad = |col: usize, v: &str, uuid: &str| {
            let mut r = good.clone();
            r[col] = v.to_owned();
            r[13] = uuid.to_owned();
            rows.push(r);
        };
        bad(1, "0190a000-0000-7000-8000-0000000000ff", "b1"); // 4: unknown house
        bad(1, "0190a000-0000-7000-8000-000000000003", "b2"); // 5: outside the scope
        bad(2, "E", "b3"); // 6: bad grade
        bad(3, "two", "b4"); // 7: rooms not a number
        bad(4, "4", "b5"); // 8: 1 + 4 rooms > the house's 4
        bad(7, "30.81", "b6"); // 9: a geopoint with one number
        bad(7, "130.8 108.4 0 0", "b7"); // 10: latitude out of range
        bad(13, "u-1", "u-1"); // 11: duplicate _uuid of line 2
        bad(13, "", ""); // 12: missing _uuid
        bad(14, "2023-13-40T10:00:00", "b10"); // 13: bad date
        bad(14, "2024-01-05T10:00:00", "b11"); // 14: in the future
        bad(14, "2023-06-30T10:00:00", "b12"); // 15: before the disaster
        bad(5, "0190a000-0000-7000-8000-0000000000bb", "b13"); // 16: no such officer
        bad(1, "房屋12", "b14"); // 17: not a house id
        bad(2, "B", "b15"); // 18: B with a collapsed room (anju-core's rule)
        bad(4, "300", "b16"); // 19: more rooms than any house
        let expect: &[(u64, &str, &str)] = &[
            (4, "house/house_id", "no such house"),
            (5, "house/house_id", "outside your scope"),
            (6, "damage/grade", "\"E\" is not a grade"),
            (7, "damage/rooms_collapsed", "\"two\" is not a whole number"),
            (8, "damage/rooms_damaged", "more than the house's 4 rooms"),
            (9, "location", "needs 2 to 4 numbers"),
            (10, "location", "latitude 130.8"),
            (
                11,
                "_uuid",
                "duplicate _uuid: the same submission is on line 2",
            ),
            (12, "_uuid", "missing _uuid"),
            (13, "_submission_time", "is not a date"),
            (14, "_submission_time", "in the future"),
            (
                15,
                "_submission_time",
                "before the disaster began (2023-07-03)",
            ),
            (16, "assessor", "no such officer"),
            (17, "house/house_id", "is not a house id"),
            (18, "damage/rooms_collapsed", "graded C or D"),
            (19, "damage/rooms_damaged", "between 0 and 200"),
        ];
        for (what, bytes) in encodings(&rows) {
            let f = parse(&bytes, &FieldMapping::default()).unwrap();
            let got = reasons(&f);
            assert_eq!(got.len(), expect.len(), "{what}: {got:#?}");
            for ((line, col, why), (el, ec, ew)) in got.iter().zip(expect) {
                assert_eq!((line, col.as_str()), (el, *ec), "{what}: {why}");
                assert!(why.contains(ew), "{what} line {line}: {why:?} lacks {ew:?}");
            }
            assert_eq!(f.records.len(), 2, "{what}: only the good rows pass");
        }
    }

    #[test]
    fn odk_central_headers_and_split_geopoints() {
        let rows: Vec<Vec<String>> = [
            vec![
                "SubmissionDate",
                "house-house_id",
                "damage-grade",
                "damage-rooms_damaged",
                "location-Latitude",
                "location-Longitude",
                "location-Altitude",
                "location-Accuracy",
                "meta-instanceID",
                "KEY",
            ],
            vec![
                "2023-07-10T02:00:00.000Z",
                H2,
                "grade_c",
                "2",
                "30.2",
                "108.1",
                "",
                "",
                "uuid:6f1c0c6e-8a5e-4b4e-9a38-0d6a5c1f2e11",
                "uuid:6f1c0c6e-8a5e-4b4e-9a38-0d6a5c1f2e11",
            ],
        ]
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
        for (what, bytes) in encodings(&rows) {
            let f = parse(&bytes, &FieldMapping::default()).unwrap();
            assert!(f.errors.is_empty(), "{what}: {:?}", f.errors);
            assert_eq!(f.records[0].uuid, "6f1c0c6e-8a5e-4b4e-9a38-0d6a5c1f2e11");
            let a = &f.records[0].assessment;
            assert_eq!(a.outcome, Outcome::Graded(DamageGrade::C));
            assert_eq!(a.assessed_on, date!(2023 - 07 - 10));
            let p = a.point.unwrap();
            assert_eq!((p.lat, p.lon), (30.2, 108.1));
        }
    }

    #[test]
    fn a_saved_mapping_names_other_questions_and_choices() {
        let rows: Vec<Vec<String>> = [
            vec!["_uuid", "fw:hid", "jd:dj", "jd:rq", "_submission_time"],
            vec!["a1", H1, "4", "2023-07-07", "2023-07-09T01:00:00"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
        let mapping: FieldMapping = FieldMapping {
            fields: [
                ("house_id".to_owned(), "fw/hid".to_owned()),
                ("outcome".to_owned(), "dj".to_owned()),
                ("assessed_on".to_owned(), "jd/rq".to_owned()),
            ]
            .into(),
            grades: [("4".to_owned(), "D".to_owned())].into(),
        };
        for (what, bytes) in encodings(&rows) {
            let f = parse(&bytes, &mapping).unwrap();
            assert!(f.errors.is_empty(), "{what}: {:?}", f.errors);
            assert_eq!(
                f.records[0].assessment.outcome,
                Outcome::Graded(DamageGrade::D)
            );
            // The date question wins over the submission time.
            assert_eq!(
                f.records[0].assessment.assessed_on,
                date!(2023 - 07 - 07),
                "{what}"
            );
        }
        // Without the mapping, the grade and house are not found.
        let e = parse(csv_text(&rows, b',').as_bytes(), &FieldMapping::default()).unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.reason.contains("no column holds the grade")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.reason.contains("no column names the house"))
        );
    }

    #[test]
    fn header_problems_are_all_reported() {
        let rows: Vec<Vec<String>> = [
            vec![
                "house/house_id",
                "damage/grade",
                "recheck/grade",
                "house/house_id",
            ],
            vec![H1, "A", "B", H1],
        ]
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
        let mapping = FieldMapping {
            fields: [("note".to_owned(), "remarks/text".to_owned())].into(),
            grades: [("x".to_owned(), "Z".to_owned())].into(),
        };
        for (what, bytes) in encodings(&rows) {
            let e = parse(&bytes, &mapping).unwrap_err();
            let r: Vec<&str> = e.iter().map(|e| e.reason.as_str()).collect();
            assert!(
                r.iter().any(|x| x.contains("\"x\" maps to \"Z\"")),
                "{what}: {r:?}"
            );
            assert!(
                r.iter()
                    .any(|x| x.contains("matches the columns damage/grade, recheck/grade")),
                "{r:?}"
            );
            assert!(r.iter().any(|x| x.contains("no such column")), "{r:?}");
            assert!(r.iter().any(|x| x.contains("appears twice")), "{r:?}");
            assert!(r.iter().any(|x| x.contains("_uuid")), "{r:?}");
            assert!(
                r.iter().any(|x| x.contains("dates the assessment")),
                "{r:?}"
            );
            assert!(e.iter().all(|e| e.line == 1));
        }
    }

    #[test]
    fn grades_dates_and_points() {
        for (s, g) in [
            ("A", Outcome::Graded(DamageGrade::A)),
            ("b", Outcome::Graded(DamageGrade::B)),
            ("grade_c", Outcome::Graded(DamageGrade::C)),
            ("C级", Outcome::Graded(DamageGrade::C)),
            ("D级危房", Outcome::Graded(DamageGrade::D)),
            ("d_level", Outcome::Graded(DamageGrade::D)),
            ("整幢危房", Outcome::Graded(DamageGrade::D)),
            ("无法进入", Outcome::Inaccessible),
            ("Inaccessible", Outcome::Inaccessible),
        ] {
            assert_eq!(parse_outcome(s), Some(g), "{s}");
        }
        for s in ["", "E", "ab", "5级"] {
            assert_eq!(parse_outcome(s), None, "{s}");
        }
        assert_eq!(field_date("2023/7/8", false), Ok(date!(2023 - 07 - 08)));
        assert_eq!(
            field_date("2023-07-08 23:30", true),
            Ok(date!(2023 - 07 - 09))
        );
        assert_eq!(
            field_date("2023-07-08T23:30:00.5+08:00", true),
            Ok(date!(2023 - 07 - 08))
        );
        assert_eq!(
            field_date("2023-07-08T20:00:00-0400", false),
            Ok(date!(2023 - 07 - 09))
        );
        assert_eq!(
            field_date("2023-07-08T23:30:00", false),
            Ok(date!(2023 - 07 - 08))
        );
        for s in [
            "08/07/2023",
            "2023-02-30",
            "2023-07-08T25:00",
            "yesterday",
            "23-7-8",
        ] {
            assert!(field_date(s, false).is_err(), "{s}");
        }
        assert!(geopoint("30.8 108.4").is_ok());
        assert!(geopoint("30.8 108.4 250.5 4.9").is_ok());
        assert!(geopoint("30.8 east").is_err());
        assert!(
            geopoint("30.8 200 0 0")
                .unwrap_err()
                .contains("longitude 200")
        );
        assert!(geopoint("1 2 3 4 5").is_err());
    }

    #[test]
    fn separators_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("\n\na,b;c,d\n"), b',');
    }

    #[test]
    fn house_keys_with_areas_derive_the_house_id() {
        let rows: Vec<Vec<String>> = [
            vec!["_uuid", "house_key", "area", "grade", "_submission_time"],
            vec!["k1", "3组12号", "500101001001", "C", "2023-07-09T01:00:00"],
            vec!["k2", "3组13号", "", "C", "2023-07-09T01:00:00"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
        let t = read_field_table(csv_text(&rows, b',').as_bytes(), None).unwrap();
        let f = parse_field_file(&t, &FieldMapping::default(), &cx()).unwrap();
        assert_eq!(
            f.records[0].assessment.house_id,
            derived_id(Kind::Houses, "500101001001", "3组12号")
        );
        assert_eq!(f.errors.len(), 1);
        assert_eq!((f.errors[0].line, f.errors[0].column.as_str()), (3, "area"));
    }

    #[test]
    fn mapping_round_trips_as_json_shape() {
        let m = FieldMapping::default();
        assert!(m.check().is_ok());
        let bad = FieldMapping {
            fields: [("houseid".to_owned(), "x".to_owned())].into(),
            grades: BTreeMap::new(),
        };
        assert!(bad.check().unwrap_err()[0].contains("unknown field \"houseid\""));
    }
}
