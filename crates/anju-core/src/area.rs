//! Administrative area codes (GB/T 2260 extended to town and village level).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The four levels of the tree, from the municipality down.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 直辖市 / 省: 2 digits.
    City,
    /// 区县: 6 digits.
    District,
    /// 乡镇街道: 9 digits.
    Town,
    /// 村社区: 12 digits.
    Village,
}

impl AreaLevel {
    /// Number of digits of a code at this level.
    pub const fn digits(self) -> usize {
        match self {
            AreaLevel::City => 2,
            AreaLevel::District => 6,
            AreaLevel::Town => 9,
            AreaLevel::Village => 12,
        }
    }

    pub fn from_digits(n: usize) -> Option<Self> {
        match n {
            2 => Some(AreaLevel::City),
            6 => Some(AreaLevel::District),
            9 => Some(AreaLevel::Town),
            12 => Some(AreaLevel::Village),
            _ => None,
        }
    }

    pub const fn parent(self) -> Option<Self> {
        match self {
            AreaLevel::City => None,
            AreaLevel::District => Some(AreaLevel::City),
            AreaLevel::Town => Some(AreaLevel::District),
            AreaLevel::Village => Some(AreaLevel::Town),
        }
    }

    pub const fn child(self) -> Option<Self> {
        match self {
            AreaLevel::City => Some(AreaLevel::District),
            AreaLevel::District => Some(AreaLevel::Town),
            AreaLevel::Town => Some(AreaLevel::Village),
            AreaLevel::Village => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Town => "town",
            AreaLevel::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "city" => Some(AreaLevel::City),
            "district" => Some(AreaLevel::District),
            "town" => Some(AreaLevel::Town),
            "village" => Some(AreaLevel::Village),
            _ => None,
        }
    }
}

/// Why a string is not an area code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaCodeError {
    #[error("an area code has only digits, found {0:?}")]
    NotDigits(String),
    #[error("an area code has 2, 6, 9 or 12 digits, found {0}")]
    BadLength(usize),
    #[error("the code {0} is not below its parent: its last segment is all zeros")]
    ZeroSegment(String),
    #[error("{0} is not a padded code of this level")]
    BadPadded(i64),
}

/// A validated area code: 2, 6, 9 or 12 ASCII digits, whose last segment is not all zeros
/// (that would be the parent's code padded out).
///
/// Internally the code is kept as its 12-digit padded integer plus its level, so that a
/// subtree is the integer range `[padded, padded + span)` and a query never recurses.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaCode {
    padded: i64,
    level: AreaLevel,
}

const PAD: usize = 12;

const fn pow10(n: usize) -> i64 {
    let mut v = 1i64;
    let mut i = 0;
    while i < n {
        v *= 10;
        i += 1;
    }
    v
}

impl AreaCode {
    pub fn parse(s: &str) -> Result<Self, AreaCodeError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AreaCodeError::NotDigits(s.to_owned()));
        }
        let level = AreaLevel::from_digits(s.len()).ok_or(AreaCodeError::BadLength(s.len()))?;
        let start = level.parent().map(|p| p.digits()).unwrap_or(0);
        if s.as_bytes()[start..].iter().all(|&b| b == b'0') {
            return Err(AreaCodeError::ZeroSegment(s.to_owned()));
        }
        let n: i64 = s
            .parse()
            .map_err(|_| AreaCodeError::NotDigits(s.to_owned()))?;
        Ok(AreaCode {
            padded: n * pow10(PAD - level.digits()),
            level,
        })
    }

    /// Rebuilds a code from its stored padded form and level.
    pub fn from_padded(padded: i64, level: AreaLevel) -> Result<Self, AreaCodeError> {
        let digits = level.digits();
        let unit = pow10(PAD - digits);
        if padded < 0 || padded >= pow10(PAD) || padded % unit != 0 {
            return Err(AreaCodeError::BadPadded(padded));
        }
        let s = format!("{:0width$}", padded / unit, width = digits);
        Self::parse(&s)
    }

    pub fn level(self) -> AreaLevel {
        self.level
    }

    /// The 12-digit integer form used for storage and range queries.
    pub fn padded(self) -> i64 {
        self.padded
    }

    /// The half-open range of padded codes in this area's subtree, itself included.
    pub fn subtree_range(self) -> (i64, i64) {
        (self.padded, self.padded + pow10(PAD - self.level.digits()))
    }

    pub fn contains(self, other: AreaCode) -> bool {
        let (lo, hi) = self.subtree_range();
        other.level >= self.level && other.padded >= lo && other.padded < hi
    }

    pub fn parent(self) -> Option<AreaCode> {
        let p = self.level.parent()?;
        let unit = pow10(PAD - p.digits());
        Some(AreaCode {
            padded: self.padded / unit * unit,
            level: p,
        })
    }

    /// Every ancestor from the root down, then this code.
    pub fn path(self) -> Vec<AreaCode> {
        let mut v = vec![self];
        let mut c = self;
        while let Some(p) = c.parent() {
            v.push(p);
            c = p;
        }
        v.reverse();
        v
    }

    /// The district this code lies in (itself for a district), if it is at or below one.
    pub fn district(self) -> Option<AreaCode> {
        self.path()
            .into_iter()
            .find(|c| c.level == AreaLevel::District)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.level.digits();
        write!(
            f,
            "{:0width$}",
            self.padded / pow10(PAD - digits),
            width = digits
        )
    }
}

impl fmt::Debug for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AreaCode({self})")
    }
}

impl FromStr for AreaCode {
    type Err = AreaCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AreaCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AreaCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AreaCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A point in WGS84/CGCS2000 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawPoint")]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Deserialize)]
struct RawPoint {
    lon: f64,
    lat: f64,
}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = String;
    fn try_from(r: RawPoint) -> Result<Self, String> {
        GeoPoint::new(r.lon, r.lat)
            .ok_or_else(|| format!("({}, {}) is not a point on Earth", r.lon, r.lat))
    }
}

impl GeoPoint {
    /// Rejects coordinates outside the globe (and NaN).
    pub fn new(lon: f64, lat: f64) -> Option<Self> {
        ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
            .then_some(GeoPoint { lon, lat })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_each_level() {
        assert_eq!(AreaCode::parse("50").unwrap().level(), AreaLevel::City);
        assert_eq!(
            AreaCode::parse("500101").unwrap().level(),
            AreaLevel::District
        );
        assert_eq!(
            AreaCode::parse("500101001").unwrap().level(),
            AreaLevel::Town
        );
        assert_eq!(
            AreaCode::parse("500101001001").unwrap().level(),
            AreaLevel::Village
        );
    }

    #[test]
    fn rejects_bad_codes() {
        assert_eq!(AreaCode::parse("5001"), Err(AreaCodeError::BadLength(4)));
        assert!(matches!(
            AreaCode::parse("50a101"),
            Err(AreaCodeError::NotDigits(_))
        ));
        assert!(matches!(
            AreaCode::parse(""),
            Err(AreaCodeError::NotDigits(_))
        ));
        assert!(matches!(
            AreaCode::parse("500000"),
            Err(AreaCodeError::ZeroSegment(_))
        ));
        assert!(matches!(
            AreaCode::parse("500101000"),
            Err(AreaCodeError::ZeroSegment(_))
        ));
        assert!(matches!(
            AreaCode::parse("00"),
            Err(AreaCodeError::ZeroSegment(_))
        ));
    }

    #[test]
    fn parent_and_path() {
        let v = AreaCode::parse("500101001001").unwrap();
        let path: Vec<String> = v.path().iter().map(|c| c.to_string()).collect();
        assert_eq!(path, ["50", "500101", "500101001", "500101001001"]);
        assert_eq!(v.district().unwrap().to_string(), "500101");
        assert!(AreaCode::parse("50").unwrap().parent().is_none());
    }

    #[test]
    fn points_are_checked_when_parsed() {
        assert!(serde_json::from_str::<GeoPoint>(r#"{"lon":500,"lat":0}"#).is_err());
        assert!(serde_json::from_str::<GeoPoint>(r#"{"lon":106.5,"lat":29.5}"#).is_ok());
    }

    #[test]
    fn subtree_contains() {
        let d = AreaCode::parse("500101").unwrap();
        assert!(d.contains(AreaCode::parse("500101001001").unwrap()));
        assert!(d.contains(d));
        assert!(!d.contains(AreaCode::parse("500102001001").unwrap()));
        assert!(!d.contains(AreaCode::parse("50").unwrap()));
    }

    fn code_strategy() -> impl Strategy<Value = String> {
        (10u32..99, 1u32..10000, 1u32..1000, 1u32..1000, 0usize..4).prop_map(|(p, d, t, v, lvl)| {
            let s = format!("{p:02}{d:04}{t:03}{v:03}");
            s[..[2, 6, 9, 12][lvl]].to_owned()
        })
    }

    proptest! {
        #[test]
        fn display_round_trips(s in code_strategy()) {
            let c = AreaCode::parse(&s).unwrap();
            prop_assert_eq!(c.to_string(), s);
            prop_assert_eq!(AreaCode::from_padded(c.padded(), c.level()).unwrap(), c);
        }

        #[test]
        fn every_ancestor_contains_its_descendant(s in code_strategy()) {
            let c = AreaCode::parse(&s).unwrap();
            for a in c.path() {
                prop_assert!(a.contains(c));
                let (lo, hi) = a.subtree_range();
                prop_assert!(c.padded() >= lo && c.padded() < hi);
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = AreaCode::parse(&s);
        }
    }
}
