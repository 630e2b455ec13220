//! GeoJSON boundaries: reading and checking them, and writing them back as labelled features.

use std::collections::HashMap;

use anju_core::AreaCode;
use anju_core::area::AreaCodeError;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use crate::AtlasError;

/// How errors name a boundary file handed in at run time, which has no path of its own here.
pub(crate) const DEPLOYMENT_FILE: &str = "boundary file";

/// One boundary as read: the geometry is kept as given so that it is republished unchanged,
/// and as a shape for point tests.
pub(crate) struct RawBoundary {
    pub index: usize,
    pub code: AreaCode,
    pub geometry: Value,
    pub shape: MultiPolygon<f64>,
}

/// Reads a deployment's own boundary file, such as one that carries a map review number
/// (审图号), to publish instead of the embedded boundaries.
///
/// The file is a GeoJSON FeatureCollection of Polygon or MultiPolygon features, each with its
/// area code in the property `adcode` or `code` (a string or an integer). Codes padded with
/// zeros, as DataV writes them (`500000` for the municipality), are read as the shorter code
/// (`50`). Coordinates are longitude, latitude in degrees (WGS84 or CGCS2000); rings must be
/// closed. The result is in code order, each feature rewritten with only its `code` property;
/// [`crate::Atlas::replace_boundaries`] adds the names.
///
/// Errors name the feature by its index in `features` and the member at fault.
pub fn parse_boundary_file(geojson_text: &str) -> Result<Vec<(AreaCode, String)>, AtlasError> {
    let mut boundaries = read_features(DEPLOYMENT_FILE, geojson_text, |index, properties| {
        code_from_properties(DEPLOYMENT_FILE, index, properties)
    })?;
    boundaries.sort_by_key(|b| b.code);
    Ok(boundaries
        .into_iter()
        .map(|b| {
            let properties = serde_json::json!({ "code": b.code.to_string() });
            (b.code, feature_text(&properties, &b.geometry))
        })
        .collect())
}

/// A GeoJSON Feature with properties `code`, `name_zh` and `name_en`.
pub(crate) fn labelled_feature(
    code: AreaCode,
    name_zh: &str,
    name_en: &str,
    geometry: &Value,
) -> String {
    let properties = serde_json::json!({
        "code": code.to_string(),
        "name_zh": name_zh,
        "name_en": name_en,
    });
    feature_text(&properties, geometry)
}

fn feature_text(properties: &Value, geometry: &Value) -> String {
    // The source's `crs` member is dropped: RFC 7946 GeoJSON is WGS84 by definition, and
    // CGCS2000 lies within a metre or so of it.
    format!(r#"{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#)
}

/// Reads every feature of a FeatureCollection; `code_of` reads a feature's code from its
/// properties. A code given twice is an error at its second feature.
pub(crate) fn read_features(
    file: &str,
    text: &str,
    code_of: impl Fn(usize, &Map<String, Value>) -> Result<AreaCode, AtlasError>,
) -> Result<Vec<RawBoundary>, AtlasError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| AtlasError::geojson(file, None, "(document)", format!("not JSON: {e}")))?;
    let Some(root) = document.as_object() else {
        return Err(AtlasError::geojson(
            file,
            None,
            "(document)",
            "is not a JSON object",
        ));
    };
    let kind = root.get("type").and_then(Value::as_str);
    if kind != Some("FeatureCollection") {
        return Err(AtlasError::geojson(
            file,
            None,
            "type",
            format!(
                "is {}, expected \"FeatureCollection\"",
                describe(root.get("type"))
            ),
        ));
    }
    let Some(features) = root.get("features").and_then(Value::as_array) else {
        return Err(AtlasError::geojson(
            file,
            None,
            "features",
            "is missing or not an array",
        ));
    };
    if features.is_empty() {
        return Err(AtlasError::geojson(file, None, "features", "is empty"));
    }

    let mut seen: HashMap<AreaCode, usize> = HashMap::new();
    let mut out = Vec::with_capacity(features.len());
    for (index, feature) in features.iter().enumerate() {
        let err =
            |field: &str, problem: String| AtlasError::geojson(file, Some(index), field, problem);
        let Some(feature) = feature.as_object() else {
            return Err(err("(feature)", "is not a JSON object".into()));
        };
        if feature.get("type").and_then(Value::as_str) != Some("Feature") {
            return Err(err(
                "type",
                format!("is {}, expected \"Feature\"", describe(feature.get("type"))),
            ));
        }
        let Some(properties) = feature.get("properties").and_then(Value::as_object) else {
            return Err(err("properties", "is missing or not an object".into()));
        };
        let code = code_of(index, properties)?;
        if let Some(first) = seen.insert(code, index) {
            return Err(err(
                "properties.adcode",
                format!("code {code} is already given by feature {first}"),
            ));
        }
        let Some(geometry) = feature.get("geometry").filter(|g| !g.is_null()) else {
            return Err(err("geometry", "is missing or null".into()));
        };
        let shape = shape_of(geometry).map_err(|(field, problem)| err(&field, problem))?;
        out.push(RawBoundary {
            index,
            code,
            geometry: geometry.clone(),
            shape,
        });
    }
    Ok(out)
}

/// Reads the area code from `adcode`, else `code`.
pub(crate) fn code_from_properties(
    file: &str,
    index: usize,
    properties: &Map<String, Value>,
) -> Result<AreaCode, AtlasError> {
    let (field, value) = match (properties.get("adcode"), properties.get("code")) {
        (Some(v), _) => ("properties.adcode", v),
        (None, Some(v)) => ("properties.code", v),
        (None, None) => {
            return Err(AtlasError::geojson(
                file,
                Some(index),
                "properties.adcode",
                "is missing (neither `adcode` nor `code` is given)",
            ));
        }
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        other => {
            return Err(AtlasError::geojson(
                file,
                Some(index),
                field,
                format!(
                    "is {}, expected a code as a string or integer",
                    describe(Some(other))
                ),
            ));
        }
    };
    parse_padded_code(&text)
        .map_err(|e| AtlasError::geojson(file, Some(index), field, format!("{text:?}: {e}")))
}

/// Parses a code, also in the zero-padded form other sources use (`500000` for `50`,
/// `500101000000` for `500101`).
fn parse_padded_code(text: &str) -> Result<AreaCode, AreaCodeError> {
    let error = match AreaCode::parse(text) {
        Ok(code) => return Ok(code),
        Err(e) => e,
    };
    let shorter = [9, 6, 2].into_iter().filter(|&n| n < text.len());
    shorter
        .filter(|&n| text.is_char_boundary(n) && text[n..].bytes().all(|b| b == b'0'))
        .find_map(|n| AreaCode::parse(&text[..n]).ok())
        .ok_or(error)
}

type FieldProblem = (String, String);

fn shape_of(geometry: &Value) -> Result<MultiPolygon<f64>, FieldProblem> {
    let Some(object) = geometry.as_object() else {
        return Err(("geometry".into(), "is not a JSON object".into()));
    };
    let Some(coordinates) = object.get("coordinates") else {
        return Err(("geometry.coordinates".into(), "is missing".into()));
    };
    match object.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(
            coordinates,
            "geometry.coordinates",
        )?])),
        Some("MultiPolygon") => {
            let parts = array(coordinates, "geometry.coordinates")?;
            if parts.is_empty() {
                return Err(("geometry.coordinates".into(), "has no polygons".into()));
            }
            let polygons = parts
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("geometry.coordinates[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(MultiPolygon(polygons))
        }
        other => Err((
            "geometry.type".into(),
            format!(
                "is {}, expected \"Polygon\" or \"MultiPolygon\"",
                describe(other.map(|s| Value::String(s.into())).as_ref())
            ),
        )),
    }
}

fn polygon(value: &Value, field: &str) -> Result<Polygon<f64>, FieldProblem> {
    let rings = array(value, field)?;
    let mut rings = rings
        .iter()
        .enumerate()
        .map(|(i, r)| ring(r, &format!("{field}[{i}]")));
    let Some(exterior) = rings.next() else {
        return Err((field.into(), "has no rings".into()));
    };
    let exterior = exterior?;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn ring(value: &Value, field: &str) -> Result<LineString<f64>, FieldProblem> {
    let positions = array(value, field)?;
    if positions.len() < 4 {
        return Err((
            field.into(),
            format!("has {} positions; a ring needs at least 4", positions.len()),
        ));
    }
    let coords = positions
        .iter()
        .enumerate()
        .map(|(i, p)| position(p, &format!("{field}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if coords.first() != coords.last() {
        return Err((
            field.into(),
            "is not closed: its last position differs from its first".into(),
        ));
    }
    Ok(LineString(coords))
}

fn position(value: &Value, field: &str) -> Result<Coord<f64>, FieldProblem> {
    let numbers = array(value, field)?;
    let lon = numbers.first().and_then(Value::as_f64);
    let lat = numbers.get(1).and_then(Value::as_f64);
    match (lon, lat) {
        (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => {
            Ok(Coord { x, y })
        }
        (Some(_), Some(_)) => Err((
            field.into(),
            "is outside longitude -180..180, latitude -90..90".into(),
        )),
        _ => Err((
            field.into(),
            "is not a position [longitude, latitude]".into(),
        )),
    }
}

fn array<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, FieldProblem> {
    value.as_array().ok_or_else(|| {
        (
            field.into(),
            format!("is {}, expected an array", describe(Some(value))),
        )
    })
}

/// A short description of a JSON value for error messages, without echoing a whole geometry.
fn describe(value: Option<&Value>) -> String {
    match value {
        None => "missing".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(code: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"adcode":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[106,29],[107,29],[107,30],[106,30],[106,29]]]}}}}"#
        )
    }

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn error_of(text: &str) -> String {
        match parse_boundary_file(text) {
            Ok(v) => panic!("expected an error, got {} boundaries", v.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_codes_in_any_accepted_form() {
        let text = collection(&[
            square("500102"),
            square("500000"),
            r#"{"type":"Feature","properties":{"code":500101},"geometry":{"type":"MultiPolygon","coordinates":[[[[106,29],[107,29],[107,30],[106,29]]]]}}"#.into(),
        ]);
        let parsed = parse_boundary_file(&text).expect("valid file");
        let codes: Vec<String> = parsed.iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(codes, ["50", "500101", "500102"]);
        let feature: Value = serde_json::from_str(&parsed[1].1).expect("feature is JSON");
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["properties"]["code"], "500101");
        assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    }

    #[test]
    fn rejects_bad_documents() {
        assert!(error_of("{").starts_with("boundary file: field `(document)`: not JSON"));
        assert_eq!(
            error_of(r#"{"type":"Feature"}"#),
            r#"boundary file: field `type`: is "Feature", expected "FeatureCollection""#
        );
        assert_eq!(
            error_of(r#"{"type":"FeatureCollection","features":[]}"#),
            "boundary file: field `features`: is empty"
        );
    }

    #[test]
    fn errors_name_the_feature_and_the_problem() {
        let cases = [
            (
                square("5001"),
                "feature 1: field `properties.adcode`: \"5001\": an area code has 2, 6, 9 or 12 digits, found 4",
            ),
            (
                r#"{"type":"Feature","properties":{"name":"x"},"geometry":null}"#.into(),
                "feature 1: field `properties.adcode`: is missing (neither `adcode` nor `code` is given)",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":null}"#.into(),
                "feature 1: field `geometry`: is missing or null",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":{"type":"Point","coordinates":[106,29]}}"#.into(),
                "feature 1: field `geometry.type`: is \"Point\", expected \"Polygon\" or \"MultiPolygon\"",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":{"type":"Polygon","coordinates":[[[106,29],[107,29],[107,30],[106,30]]]}}"#.into(),
                "feature 1: field `geometry.coordinates[0]`: is not closed: its last position differs from its first",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":{"type":"Polygon","coordinates":[[[106,29],[107,29],[106,29]]]}}"#.into(),
                "feature 1: field `geometry.coordinates[0]`: has 3 positions; a ring needs at least 4",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":{"type":"MultiPolygon","coordinates":[[[[106,29],[107,29],[207,30],[106,29]]]]}}"#.into(),
                "feature 1: field `geometry.coordinates[0][0][2]`: is outside longitude -180..180, latitude -90..90",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":"500102"},"geometry":{"type":"Polygon","coordinates":[[[106,29],[107,"x"],[107,30],[106,29]]]}}"#.into(),
                "feature 1: field `geometry.coordinates[0][1]`: is not a position [longitude, latitude]",
            ),
            (
                square("500101"),
                "feature 1: field `properties.adcode`: code 500101 is already given by feature 0",
            ),
            (
                r#"{"type":"Feature","properties":{"adcode":true},"geometry":null}"#.into(),
                "feature 1: field `properties.adcode`: is true, expected a code as a string or integer",
            ),
            (
                r#"{"type":"Polygon"}"#.into(),
                "feature 1: field `type`: is \"Polygon\", expected \"Feature\"",
            ),
        ];
        for (bad, expected) in cases {
            let text = collection(&[square("500101"), bad]);
            assert_eq!(error_of(&text), format!("boundary file: {expected}"));
        }
    }

    #[test]
    fn padded_codes() {
        let p = |s: &str| parse_padded_code(s).map(|c| c.to_string());
        assert_eq!(p("500000"), Ok("50".into()));
        assert_eq!(p("500101000000"), Ok("500101".into()));
        assert_eq!(p("500101001000"), Ok("500101001".into()));
        assert!(p("000000").is_err());
        assert!(p("5001").is_err());
    }
}
