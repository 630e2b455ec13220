//! The embedded source files and the reading of their CSV tables.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anju_core::area::GeoPoint;
use anju_core::{AreaCode, AreaLevel};

use crate::AtlasError;

/// A file compiled into the binary, named by its path in the repository so that errors
/// point at the file to fix.
pub(crate) struct Embedded {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! embed {
    ($path:literal) => {
        Embedded {
            path: $path,
            text: include_str!(concat!("../../../", $path)),
        }
    };
}

pub(crate) const PROVINCE: Embedded = embed!("data/chongqing/divisions/nbs2023_cq_province.csv");
pub(crate) const COUNTIES: Embedded = embed!("data/chongqing/divisions/nbs2023_cq_counties.csv");
pub(crate) const TOWNS: Embedded = embed!("data/chongqing/divisions/nbs2023_cq_towns.csv");
pub(crate) const VILLAGES: Embedded = embed!("data/chongqing/divisions/nbs2023_cq_villages.csv");
pub(crate) const SEATS: Embedded = embed!("data/chongqing/divisions/county_seats_lonlat.csv");
pub(crate) const DISTRICT_BOUNDARIES: Embedded =
    embed!("data/chongqing/boundaries/districts.geojson");
pub(crate) const CITY_OUTLINE: Embedded = embed!("data/chongqing/boundaries/city_outline.geojson");

/// One row of an NBS division table.
pub(crate) struct Division {
    pub code: AreaCode,
    pub name: String,
}

/// The NBS tree, each level in code order.
pub(crate) struct Divisions {
    pub city: Division,
    pub districts: Vec<Division>,
    pub towns: Vec<Division>,
    pub villages: Vec<Division>,
}

/// Reads `columns` of every data row, handing each row's line number and values to `row`.
fn read_csv<const N: usize>(
    file: &Embedded,
    columns: [&str; N],
    mut row: impl FnMut(u64, [&str; N]) -> Result<(), AtlasError>,
) -> Result<(), AtlasError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(file.text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AtlasError::csv(file.path, 1, "(header)", e.to_string()))?
        .clone();
    let mut index = [0usize; N];
    for (slot, column) in index.iter_mut().zip(columns) {
        *slot = headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| AtlasError::csv(file.path, 1, column, "column is missing"))?;
    }
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(AtlasError::csv(file.path, line, "(row)", e.to_string())),
        }
        let line = record.position().map_or(line, |p| p.line());
        let mut values = [""; N];
        for ((value, &i), column) in values.iter_mut().zip(&index).zip(columns) {
            *value = record
                .get(i)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| AtlasError::csv(file.path, line, column, "is empty"))?;
        }
        row(line, values)?;
    }
}

fn parse_code(
    file: &Embedded,
    line: u64,
    field: &str,
    text: &str,
    level: AreaLevel,
) -> Result<AreaCode, AtlasError> {
    let code = AreaCode::parse(text)
        .map_err(|e| AtlasError::csv(file.path, line, field, format!("{text:?}: {e}")))?;
    if code.level() != level {
        return Err(AtlasError::csv(
            file.path,
            line,
            field,
            format!(
                "{code} is a {} code, expected a {} code",
                code.level().as_str(),
                level.as_str()
            ),
        ));
    }
    Ok(code)
}

/// Reads one level of the tree. `parent_field` names the column that repeats the parent's
/// code: it must agree with the code itself and name an area of the level above.
fn read_level(
    file: &Embedded,
    level: AreaLevel,
    parent_field: &str,
    parents: &HashSet<AreaCode>,
    seen: &mut HashMap<AreaCode, (&'static str, u64)>,
) -> Result<Vec<Division>, AtlasError> {
    let mut out = Vec::new();
    read_csv(
        file,
        ["code", "name", parent_field],
        |line, [code, name, parent]| {
            let code = parse_code(file, line, "code", code, level)?;
            if code.parent().map(|p| p.to_string()).as_deref() != Some(parent) {
                return Err(AtlasError::csv(
                    file.path,
                    line,
                    parent_field,
                    format!("{parent} is not the parent of {code}"),
                ));
            }
            if let Some(parent) = code.parent().filter(|p| !parents.contains(p)) {
                return Err(AtlasError::csv(
                    file.path,
                    line,
                    parent_field,
                    format!("{parent} is not in the table of the level above"),
                ));
            }
            if let Some((other, other_line)) = seen.insert(code, (file.path, line)) {
                return Err(AtlasError::csv(
                    file.path,
                    line,
                    "code",
                    format!("{code} is already given at {other}:{other_line}"),
                ));
            }
            out.push(Division {
                code,
                name: name.to_owned(),
            });
            Ok(())
        },
    )?;
    out.sort_by_key(|d| d.code);
    Ok(out)
}

/// Reads the four NBS tables. The `cityCode` columns are ignored on purpose: 5001 市辖区 and
/// 5002 县 are statistical groupings, not areas, and districts hang directly under 50.
pub(crate) fn read_divisions() -> Result<Divisions, AtlasError> {
    let mut seen = HashMap::new();
    let mut city = None;
    read_csv(&PROVINCE, ["code", "name"], |line, [code, name]| {
        let code = parse_code(&PROVINCE, line, "code", code, AreaLevel::City)?;
        if city.is_some() {
            return Err(AtlasError::csv(
                PROVINCE.path,
                line,
                "code",
                "a second province row; the atlas holds one municipality",
            ));
        }
        seen.insert(code, (PROVINCE.path, line));
        city = Some(Division {
            code,
            name: name.to_owned(),
        });
        Ok(())
    })?;
    let city = city.ok_or_else(|| AtlasError::inconsistent(PROVINCE.path, "has no rows"))?;

    let index =
        |level: &[Division]| -> HashSet<AreaCode> { level.iter().map(|d| d.code).collect() };
    let top = HashSet::from([city.code]);
    let districts = read_level(
        &COUNTIES,
        AreaLevel::District,
        "provinceCode",
        &top,
        &mut seen,
    )?;
    let towns = read_level(
        &TOWNS,
        AreaLevel::Town,
        "areaCode",
        &index(&districts),
        &mut seen,
    )?;
    let villages = read_level(
        &VILLAGES,
        AreaLevel::Village,
        "streetCode",
        &index(&towns),
        &mut seen,
    )?;
    Ok(Divisions {
        city,
        districts,
        towns,
        villages,
    })
}

/// Rows of the seat table that are not areas: the statistical groupings 市辖区 and 县.
const SEAT_GROUPINGS: [&str; 2] = ["500100", "500200"];

/// Seat codes of the cpca table that were retired when the county became a district.
const SEAT_RENAMES: [(&str, &str); 2] = [
    ("500228", "500155"), // 梁平县 → 梁平区, 2016
    ("500232", "500156"), // 武隆县 → 武隆区, 2016
];

/// Reads the seat of the municipality and of each district, under today's codes.
///
/// The table writes every code padded to 12 digits; a code that is in neither the NBS tree
/// nor the renames is an error, so that a stale seat cannot silently go unused.
pub(crate) fn read_seats(
    divisions: &Divisions,
) -> Result<BTreeMap<AreaCode, GeoPoint>, AtlasError> {
    let file = &SEATS;
    let known: BTreeSet<AreaCode> = std::iter::once(divisions.city.code)
        .chain(divisions.districts.iter().map(|d| d.code))
        .collect();
    let mut seats = BTreeMap::new();
    read_csv(
        file,
        ["adcode", "longitude", "latitude"],
        |line, [adcode, lon, lat]| {
            let bad_code = |problem: &str| {
                AtlasError::csv(file.path, line, "adcode", format!("{adcode:?}: {problem}"))
            };
            if adcode.len() != 12 || !adcode.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad_code("expected 12 digits"));
            }
            let short = if adcode[2..].bytes().all(|b| b == b'0') {
                &adcode[..2]
            } else if adcode[6..].bytes().all(|b| b == b'0') {
                &adcode[..6]
            } else {
                return Err(bad_code("is below district level"));
            };
            if SEAT_GROUPINGS.contains(&short) {
                return Ok(());
            }
            let short = SEAT_RENAMES
                .iter()
                .find(|(old, _)| *old == short)
                .map_or(short, |(_, new)| *new);
            let code = AreaCode::parse(short).map_err(|e| bad_code(&e.to_string()))?;
            if !known.contains(&code) {
                return Err(bad_code("is not an area of the NBS table"));
            }
            let number = |field: &str, text: &str| {
                text.parse::<f64>()
                    .map_err(|e| AtlasError::csv(file.path, line, field, format!("{text:?}: {e}")))
            };
            let (lon_v, lat_v) = (number("longitude", lon)?, number("latitude", lat)?);
            let point = GeoPoint::new(lon_v, lat_v).ok_or_else(|| {
                AtlasError::csv(
                    file.path,
                    line,
                    "longitude",
                    format!("{lon}, {lat} is not a point on the globe"),
                )
            })?;
            if seats.insert(code, point).is_some() {
                return Err(bad_code(&format!("{code} has a second seat")));
            }
            Ok(())
        },
    )?;
    for code in &known {
        if !seats.contains_key(code) {
            return Err(AtlasError::inconsistent(
                file.path,
                format!("no seat for {code}"),
            ));
        }
    }
    Ok(seats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn towns(text: &'static str) -> Result<Vec<Division>, AtlasError> {
        let file = Embedded {
            path: "towns.csv",
            text,
        };
        let parents = HashSet::from([AreaCode::parse("500101").expect("valid code")]);
        read_level(
            &file,
            AreaLevel::Town,
            "areaCode",
            &parents,
            &mut HashMap::new(),
        )
    }

    fn error(text: &'static str) -> String {
        match towns(text) {
            Ok(rows) => panic!("expected an error, read {} rows", rows.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_rows_in_code_order() {
        let rows = towns(
            "code,name,areaCode\r\n500101017,太白街道,500101\r\n500101001,高笋塘街道,500101\r\n",
        )
        .expect("valid rows");
        let codes: Vec<String> = rows.iter().map(|d| d.code.to_string()).collect();
        assert_eq!(codes, ["500101001", "500101017"]);
        assert_eq!(rows[0].name, "高笋塘街道");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        assert_eq!(
            error("code,name\n500101001,高笋塘街道\n"),
            "towns.csv:1: field `areaCode`: column is missing"
        );
        assert_eq!(
            error("code,name,areaCode\n500101001,高笋塘街道,500101\n50010100x,太白街道,500101\n"),
            "towns.csv:3: field `code`: \"50010100x\": an area code has only digits, found \"50010100x\""
        );
        assert_eq!(
            error("code,name,areaCode\n500101001,,500101\n"),
            "towns.csv:2: field `name`: is empty"
        );
        assert_eq!(
            error("code,name,areaCode\n500101,万州区,50\n"),
            "towns.csv:2: field `code`: 500101 is a district code, expected a town code"
        );
        assert_eq!(
            error("code,name,areaCode\n500101001,高笋塘街道,500102\n"),
            "towns.csv:2: field `areaCode`: 500102 is not the parent of 500101001"
        );
        assert_eq!(
            error("code,name,areaCode\n500102001,某街道,500102\n"),
            "towns.csv:2: field `areaCode`: 500102 is not in the table of the level above"
        );
        assert_eq!(
            error("code,name,areaCode\n500101001,高笋塘街道,500101\n500101001,高笋塘街道,500101\n"),
            "towns.csv:3: field `code`: 500101001 is already given at towns.csv:2"
        );
        assert!(
            error("code,name,areaCode\n500101001,高笋塘街道\n")
                .starts_with("towns.csv:2: field `(row)`: "),
        );
    }
}
