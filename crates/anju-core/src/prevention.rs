//! Prevention: risk points and hazard zones, risk-avoidance settlement sites (避险安置点)
//! and what an evacuation plan needs to know about the people it moves.
//!
//! The geometry rules (what a valid risk point or zone is, what gets repaired and what is
//! refused) live in [`crate::geometry`].

use serde::{Deserialize, Serialize};

use crate::area::{AreaCode, GeoPoint};
use crate::error::ValidationError;
use crate::geometry::Shape;
use crate::household::{Vulnerability, text};
use crate::phone::Phone;

/// A closed set of snake_case names, parsed at the edge and stored as text.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == s)
            }
            /// The accepted names, for error messages.
            pub fn choices() -> String {
                Self::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

named_enum!(
    /// What threatens people at a risk point or in a zone.
    Hazard {
        /// 滑坡
        Landslide = "landslide",
        /// 崩塌
        Collapse = "collapse",
        /// 泥石流
        DebrisFlow = "debris_flow",
        /// 洪水 (river and flash floods)
        Flood = "flood",
        /// 内涝
        Waterlogging = "waterlogging",
        /// 水库 (below a reservoir dam)
        Reservoir = "reservoir",
        /// 堤防
        Dyke = "dyke",
    }
);

named_enum!(
    /// Risk level as the geological-hazard surveys grade it (低/中/高/极高).
    RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
        VeryHigh = "very_high",
    }
);

named_enum!(
    /// What kind of building or ground a settlement site is.
    SiteType {
        /// 学校
        School = "school",
        /// 村委会 / 村活动室
        VillageHall = "village_hall",
        /// 社区服务中心
        CommunityCentre = "community_centre",
        /// 体育馆
        Gymnasium = "gymnasium",
        /// 宾馆
        Hotel = "hotel",
        /// 帐篷安置区
        Tents = "tents",
        Other = "other",
    }
);

named_enum!(
    SiteStatus {
        Open = "open",
        Closed = "closed",
        /// Damaged by the disaster itself: unusable like a closed site, but worth telling apart.
        Damaged = "damaged",
    }
);

named_enum!(
    /// What a site offers; stored as a bit set.
    Facility {
        Water = "water",
        Power = "power",
        Medical = "medical",
        /// 无障碍: usable by people in wheelchairs and on stretchers.
        Accessible = "accessible",
    }
);

impl Facility {
    pub fn bit(self) -> i64 {
        1 << (self as i64)
    }
    pub fn to_bits(fs: &[Facility]) -> i64 {
        fs.iter().fold(0, |a, f| a | f.bit())
    }
    pub fn from_bits(bits: i64) -> Vec<Facility> {
        Self::ALL
            .iter()
            .copied()
            .filter(|f| bits & f.bit() != 0)
            .collect()
    }
}

named_enum!(
    /// Whether a household's threat was linked by hand or computed from the geometry and
    /// not yet (or already) confirmed by an officer.
    ThreatSource {
        Manual = "manual",
        Computed = "computed",
    }
);

/// Evacuation priority of a household from its members' vulnerabilities: bedridden people
/// first, then the disabled and elderly living alone. Others (children, pregnant women)
/// travel with their household and need no head start.
pub fn evacuation_priority(vulnerability_bits: i64) -> u8 {
    if vulnerability_bits & Vulnerability::Bedridden.bit() != 0 {
        2
    } else if vulnerability_bits
        & (Vulnerability::Disabled.bit() | Vulnerability::ElderlyAlone.bit())
        != 0
    {
        1
    } else {
        0
    }
}

/// How far a household may be sent: the vulnerable only to near sites.
pub const MAX_DISTANCE_M: i64 = 15_000;
pub const MAX_DISTANCE_VULNERABLE_M: i64 = 5_000;

pub fn max_distance_m(priority: u8) -> i64 {
    if priority > 0 {
        MAX_DISTANCE_VULNERABLE_M
    } else {
        MAX_DISTANCE_M
    }
}

/// A risk point or zone as the client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskInput {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    /// The village (or town) it lies in.
    pub area: String,
    pub name: String,
    pub hazard: String,
    pub level: String,
    /// GeoJSON Point or Polygon, `[longitude, latitude]` order.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    /// For a point: the radius in metres within which houses are threatened.
    #[serde(default)]
    pub radius_m: Option<i64>,
    /// Responsible officers (监测员).
    #[serde(default)]
    pub monitor_officer_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    pub note: String,
}

/// A validated risk point or zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub area: AreaCode,
    pub name: String,
    pub hazard: Hazard,
    pub level: RiskLevel,
    pub shape: Shape,
    pub radius_m: i64,
    pub monitor_officer_ids: Vec<uuid::Uuid>,
    pub note: String,
}

/// Default threat radius around a risk point, when none is given.
pub const DEFAULT_RADIUS_M: i64 = 200;

/// Checks everything but the geometry, which [`crate::geometry::check`] handles so that
/// its repairs can be reported.
pub fn validate_risk_fields(
    v: &mut ValidationError,
    input: &RiskInput,
) -> Option<(AreaCode, String, Hazard, RiskLevel, i64, String)> {
    let area = v.check("area", "invalid_area", AreaCode::parse(&input.area));
    if let Some(a) = area
        && a.level().digits() < 9
    {
        v.push(
            "area",
            "too_coarse",
            "a town or village code (9 or 12 digits)",
        );
    }
    let name = text(v, "name", &input.name, true);
    let hazard = Hazard::parse(&input.hazard);
    if hazard.is_none() {
        v.push(
            "hazard",
            "invalid_choice",
            format!("one of {}", Hazard::choices()),
        );
    }
    let level = RiskLevel::parse(&input.level);
    if level.is_none() {
        v.push(
            "level",
            "invalid_choice",
            format!("one of {}", RiskLevel::choices()),
        );
    }
    let radius = input.radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !(1..=20_000).contains(&radius) {
        v.push("radius_m", "out_of_range", "between 1 and 20000 metres");
    }
    let note = text(v, "note", &input.note, false);
    match (area, name, hazard, level, note) {
        (Some(a), Some(n), Some(h), Some(l), Some(note)) if a.level().digits() >= 9 => {
            Some((a, n, h, l, radius, note))
        }
        _ => None,
    }
}

/// A settlement site as the client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SiteInput {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub area: String,
    pub name: String,
    pub site_type: String,
    pub lon: f64,
    pub lat: f64,
    /// Places, in people.
    pub capacity: i64,
    #[serde(default)]
    pub facilities: Vec<Facility>,
    #[serde(default)]
    pub manager_name: String,
    #[serde(default)]
    pub manager_phone: Option<String>,
    #[serde(default)]
    pub address: String,
    /// open (default), closed or damaged.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub area: AreaCode,
    pub name: String,
    pub site_type: SiteType,
    pub point: GeoPoint,
    pub capacity: i64,
    pub facilities: Vec<Facility>,
    pub manager_name: String,
    pub manager_phone: Option<Phone>,
    pub address: String,
    pub status: SiteStatus,
}

pub const MAX_SITE_CAPACITY: i64 = 1_000_000;

impl SiteInput {
    /// Checks the fields; the point is checked against the area by the caller (it knows
    /// the area's boundary) with [`crate::geometry::check_point`].
    pub fn validate(&self) -> Result<Site, ValidationError> {
        let mut v = ValidationError::default();
        let area = v.check("area", "invalid_area", AreaCode::parse(&self.area));
        if let Some(a) = area
            && a.level().digits() < 9
        {
            v.push(
                "area",
                "too_coarse",
                "a town or village code (9 or 12 digits)",
            );
        }
        let name = text(&mut v, "name", &self.name, true);
        let site_type = SiteType::parse(&self.site_type);
        if site_type.is_none() {
            v.push(
                "site_type",
                "invalid_choice",
                format!("one of {}", SiteType::choices()),
            );
        }
        // Latitude first is repaired by the area check (`geometry::check_point`), so a
        // point valid in either order passes here.
        let point = GeoPoint::new(self.lon, self.lat).or_else(|| {
            GeoPoint::new(self.lat, self.lon).map(|_| GeoPoint {
                lon: self.lon,
                lat: self.lat,
            })
        });
        if point.is_none() {
            v.push(
                "lon",
                "invalid_point",
                "longitude −180…180 and latitude −90…90",
            );
        }
        if !(0..=MAX_SITE_CAPACITY).contains(&self.capacity) {
            v.push("capacity", "out_of_range", "between 0 and 1000000 people");
        }
        let manager_name = text(&mut v, "manager_name", &self.manager_name, false);
        let manager_phone = match self.manager_phone.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(p) => v
                .check("manager_phone", "invalid_phone", Phone::parse(p))
                .map(Some),
        };
        let address = text(&mut v, "address", &self.address, false);
        let status = match self.status.as_deref() {
            None | Some("") => Some(SiteStatus::Open),
            Some(s) => {
                let st = SiteStatus::parse(s);
                if st.is_none() {
                    v.push(
                        "status",
                        "invalid_choice",
                        format!("one of {}", SiteStatus::choices()),
                    );
                }
                st
            }
        };
        match (
            area,
            name,
            site_type,
            point,
            manager_name,
            manager_phone,
            address,
            status,
        ) {
            (
                Some(area),
                Some(name),
                Some(site_type),
                Some(point),
                Some(manager_name),
                Some(manager_phone),
                Some(address),
                Some(status),
            ) if v.is_empty() => Ok(Site {
                area,
                name,
                site_type,
                point,
                capacity: self.capacity,
                facilities: self.facilities.clone(),
                manager_name,
                manager_phone,
                address,
                status,
            }),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for h in Hazard::ALL {
            assert_eq!(Hazard::parse(h.as_str()), Some(*h));
        }
        assert_eq!(Hazard::parse("tsunami"), None);
        assert_eq!(
            Facility::from_bits(Facility::to_bits(&[Facility::Water, Facility::Accessible])),
            vec![Facility::Water, Facility::Accessible]
        );
    }

    #[test]
    fn the_vulnerable_go_first_and_not_far() {
        assert_eq!(evacuation_priority(Vulnerability::Bedridden.bit()), 2);
        assert_eq!(evacuation_priority(Vulnerability::ElderlyAlone.bit()), 1);
        assert_eq!(evacuation_priority(Vulnerability::Child.bit()), 0);
        assert!(max_distance_m(2) < max_distance_m(0));
    }

    #[test]
    fn sites_are_checked() {
        let ok = SiteInput {
            area: "500101001001".into(),
            name: "高笋塘小学".into(),
            site_type: "school".into(),
            lon: 108.4,
            lat: 30.8,
            capacity: 300,
            ..Default::default()
        };
        assert_eq!(ok.validate().expect("valid").status, SiteStatus::Open);
        let bad = SiteInput {
            site_type: "castle".into(),
            capacity: -1,
            status: Some("flooded".into()),
            ..ok
        };
        let e = bad.validate().expect_err("invalid");
        let fields: Vec<_> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["site_type", "capacity", "status"]);
    }
}
