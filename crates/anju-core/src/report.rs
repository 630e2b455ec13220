//! Reports in (信息报送): what anyone authorised files from the field, and how the duty
//! officer triages it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::area::{AreaCode, GeoPoint};
use crate::error::ValidationError;
use crate::item::{ItemInput, MAX_TEXT_CHARS, check_attachments};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportCategory {
    /// 滑坡迹象: cracks, bulging slopes, muddy springs.
    LandslideSign,
    FloodedRoad,
    DamagedHouse,
    MissingPerson,
    Other,
}

impl ReportCategory {
    pub const ALL: [ReportCategory; 5] = [
        ReportCategory::LandslideSign,
        ReportCategory::FloodedRoad,
        ReportCategory::DamagedHouse,
        ReportCategory::MissingPerson,
        ReportCategory::Other,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportCategory::LandslideSign => "landslide_sign",
            ReportCategory::FloodedRoad => "flooded_road",
            ReportCategory::DamagedHouse => "damaged_house",
            ReportCategory::MissingPerson => "missing_person",
            ReportCategory::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    New,
    Dismissed,
    Merged,
    /// Items were made from it.
    Actioned,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] = [
        ReportStatus::New,
        ReportStatus::Dismissed,
        ReportStatus::Merged,
        ReportStatus::Actioned,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportStatus::New => "new",
            ReportStatus::Dismissed => "dismissed",
            ReportStatus::Merged => "merged",
            ReportStatus::Actioned => "actioned",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// Chosen by the client, so a report filed offline and sent twice is stored once.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub category: String,
    /// The village (or town) where it was seen.
    pub area: String,
    pub lon: f64,
    pub lat: f64,
    pub description: String,
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub category: ReportCategory,
    pub area: AreaCode,
    pub point: GeoPoint,
    pub description: String,
    pub attachments: Vec<String>,
}

impl ReportInput {
    pub fn validate(&self) -> Result<NewReport, ValidationError> {
        let mut v = ValidationError::default();
        let category = ReportCategory::parse(&self.category);
        if category.is_none() {
            v.push(
                "category",
                "invalid_category",
                "landslide_sign, flooded_road, damaged_house, missing_person or other",
            );
        }
        let area = v.check("area", "invalid_area", AreaCode::parse(&self.area));
        let point = GeoPoint::new(self.lon, self.lat);
        if point.is_none() {
            v.push(
                "lon",
                "invalid_point",
                "longitude and latitude in degrees (WGS 84)",
            );
        }
        if self.description.trim().is_empty() {
            v.push("description", "required", "say what was seen");
        } else if self.description.chars().count() > MAX_TEXT_CHARS {
            v.push(
                "description",
                "too_long",
                format!("at most {MAX_TEXT_CHARS} characters"),
            );
        }
        check_attachments(&mut v, "attachments", &self.attachments);
        match (category, area, point) {
            (Some(category), Some(area), Some(point)) if v.is_empty() => Ok(NewReport {
                category,
                area,
                point,
                description: self.description.trim().to_owned(),
                attachments: self.attachments.clone(),
            }),
            _ => Err(v),
        }
    }
}

/// The duty officer's decision on a report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum TriageInput {
    /// Not actionable (a duplicate call, a false alarm): the reason is kept.
    Dismiss { reason: String },
    /// The same event as an earlier report.
    Merge {
        into: Uuid,
        #[serde(default)]
        note: Option<String>,
    },
    /// Make items of it (source `report`, kind `report_follow_up` unless given).
    CreateItems { items: Vec<ItemInput> },
}

impl TriageInput {
    pub fn check(&self) -> Result<(), ValidationError> {
        match self {
            TriageInput::Dismiss { reason } if reason.trim().is_empty() => Err(
                ValidationError::single("reason", "required", "say why it is dismissed"),
            ),
            TriageInput::CreateItems { items } if items.is_empty() => Err(ValidationError::single(
                "items",
                "required",
                "name at least one item",
            )),
            TriageInput::CreateItems { items } if items.len() > 50 => Err(ValidationError::single(
                "items",
                "too_many",
                "at most 50 items from one report",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_their_bad_fields() {
        let r = ReportInput {
            category: "ufo".into(),
            area: "500101001001".into(),
            lon: 200.0,
            lat: 30.8,
            description: "".into(),
            ..Default::default()
        };
        let e = r.validate().unwrap_err();
        let f: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(f, ["category", "lon", "description"]);
        let ok = ReportInput {
            category: "landslide_sign".into(),
            lon: 108.4,
            description: "后山出现裂缝".into(),
            ..r
        };
        assert_eq!(
            ok.validate().unwrap().category,
            ReportCategory::LandslideSign
        );
    }

    #[test]
    fn triage_decisions_parse() {
        let t: TriageInput =
            serde_json::from_str(r#"{"decision": "dismiss", "reason": "重复报告"}"#).unwrap();
        assert!(t.check().is_ok());
        let t: TriageInput =
            serde_json::from_str(r#"{"decision": "dismiss", "reason": " "}"#).unwrap();
        assert!(t.check().is_err());
        assert!(serde_json::from_str::<TriageInput>(r#"{"decision": "burn"}"#).is_err());
    }
}
