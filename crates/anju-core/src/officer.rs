//! Units (organisations) and officers with their duty roles per area.

use serde::{Deserialize, Serialize};

use crate::area::AreaCode;
use crate::error::ValidationError;
use crate::household::text;
use crate::phone::Phone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A government department (应急管理局, 水利局, 住建委 …).
    Department,
    /// The government of a district, town or the municipality.
    Government,
    /// 村(居)民委员会.
    VillageCommittee,
    /// An emergency response team (应急队伍).
    ResponseTeam,
}

impl UnitKind {
    pub const ALL: [UnitKind; 4] = [
        UnitKind::Department,
        UnitKind::Government,
        UnitKind::VillageCommittee,
        UnitKind::ResponseTeam,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::Government => "government",
            UnitKind::VillageCommittee => "village_committee",
            UnitKind::ResponseTeam => "response_team",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitInput {
    /// Chosen by the client when it creates the record offline; ignored on update.
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub name: String,
    pub kind: String,
    pub area: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub kind: UnitKind,
    pub area: AreaCode,
    pub phone: Option<Phone>,
}

impl UnitInput {
    pub fn validate(&self) -> Result<Unit, ValidationError> {
        let mut v = ValidationError::default();
        let name = text(&mut v, "name", &self.name, true);
        let kind = UnitKind::parse(&self.kind);
        if kind.is_none() {
            v.push(
                "kind",
                "invalid_choice",
                "one of department, government, village_committee, response_team",
            );
        }
        let area = v.check("area", "invalid_area", AreaCode::parse(&self.area));
        let phone = optional_phone(&mut v, "phone", self.phone.as_deref());
        match (name, kind, area, phone) {
            (Some(name), Some(kind), Some(area), Some(phone)) if v.is_empty() => Ok(Unit {
                name,
                kind,
                area,
                phone,
            }),
            _ => Err(v),
        }
    }
}

fn optional_phone(v: &mut ValidationError, field: &str, p: Option<&str>) -> Option<Option<Phone>> {
    match p.map(str::trim) {
        None | Some("") => Some(None),
        Some(p) => v.check(field, "invalid_phone", Phone::parse(p)).map(Some),
    }
}

/// What an officer answers for in an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyRole {
    /// 领导 / 责任领导
    Leader,
    /// 值班人员, on a duty roster
    DutyOfficer,
    /// 干部
    Cadre,
    /// 网格员, with the households of their grid
    GridMember,
}

impl DutyRole {
    pub const ALL: [DutyRole; 4] = [
        DutyRole::Leader,
        DutyRole::DutyOfficer,
        DutyRole::Cadre,
        DutyRole::GridMember,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            DutyRole::Leader => "leader",
            DutyRole::DutyOfficer => "duty_officer",
            DutyRole::Cadre => "cadre",
            DutyRole::GridMember => "grid_member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One shift of a duty roster, in UTC milliseconds, half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shift {
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DutyInput {
    pub area: String,
    pub role: String,
    /// Only for duty officers: the roster shifts (RFC 3339 times).
    #[serde(default)]
    pub shifts: Vec<ShiftInput>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShiftInput {
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Duty {
    pub area: AreaCode,
    pub role: DutyRole,
    pub shifts: Vec<Shift>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfficerInput {
    /// Chosen by the client when it creates the record offline; ignored on update.
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub unit_id: uuid::Uuid,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub duties: Vec<DutyInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Officer {
    pub name: String,
    pub phone: Option<Phone>,
    pub unit_id: uuid::Uuid,
    pub title: Option<String>,
    pub duties: Vec<Duty>,
}

pub fn parse_time(s: &str) -> Result<i64, String> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("{s:?} is not an RFC 3339 time like 2024-02-10T08:00:00+08:00"))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub fn format_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl OfficerInput {
    pub fn validate(&self) -> Result<Officer, ValidationError> {
        let mut v = ValidationError::default();
        let name = text(&mut v, "name", &self.name, true);
        let phone = optional_phone(&mut v, "phone", self.phone.as_deref());
        let title = match &self.title {
            Some(t) => text(&mut v, "title", t, false).map(Some),
            None => Some(None),
        };
        let mut duties = Vec::new();
        for (i, d) in self.duties.iter().enumerate() {
            let at = format!("duties[{i}]");
            let area = v.check(
                format!("{at}.area"),
                "invalid_area",
                AreaCode::parse(&d.area),
            );
            let role = DutyRole::parse(&d.role);
            if role.is_none() {
                v.push(
                    format!("{at}.role"),
                    "invalid_choice",
                    "one of leader, duty_officer, cadre, grid_member",
                );
            }
            if !d.shifts.is_empty() && role != Some(DutyRole::DutyOfficer) {
                v.push(
                    format!("{at}.shifts"),
                    "not_allowed",
                    "only duty officers have shifts",
                );
            }
            let mut shifts = Vec::new();
            for (j, s) in d.shifts.iter().enumerate() {
                let sa = v.check(
                    format!("{at}.shifts[{j}].starts_at"),
                    "invalid_time",
                    parse_time(&s.starts_at),
                );
                let ea = v.check(
                    format!("{at}.shifts[{j}].ends_at"),
                    "invalid_time",
                    parse_time(&s.ends_at),
                );
                if let (Some(sa), Some(ea)) = (sa, ea) {
                    if ea <= sa {
                        v.push(
                            format!("{at}.shifts[{j}].ends_at"),
                            "out_of_order",
                            "must be after starts_at",
                        );
                    } else {
                        shifts.push(Shift {
                            starts_at: sa,
                            ends_at: ea,
                        });
                    }
                }
            }
            if let (Some(area), Some(role)) = (area, role) {
                duties.push(Duty { area, role, shifts });
            }
        }
        match (name, phone, title) {
            (Some(name), Some(phone), Some(title)) if v.is_empty() => Ok(Officer {
                name,
                phone,
                unit_id: self.unit_id,
                title,
                duties,
            }),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officer_duties_are_checked() {
        let input = OfficerInput {
            id: None,
            name: "李值班".into(),
            phone: Some("13900001111".into()),
            unit_id: uuid::Uuid::nil(),
            title: None,
            duties: vec![
                DutyInput {
                    area: "500101".into(),
                    role: "duty_officer".into(),
                    shifts: vec![ShiftInput {
                        starts_at: "2024-07-01T08:00:00+08:00".into(),
                        ends_at: "2024-07-02T08:00:00+08:00".into(),
                    }],
                },
                DutyInput {
                    area: "5001".into(),
                    role: "boss".into(),
                    shifts: vec![],
                },
            ],
        };
        let e = input.validate().unwrap_err();
        let f: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(f, ["duties[1].area", "duties[1].role"]);
    }

    #[test]
    fn unit_kind_is_checked() {
        let u = UnitInput {
            id: None,
            name: "万州区应急管理局".into(),
            kind: "department".into(),
            area: "500101".into(),
            phone: None,
        };
        assert!(u.validate().is_ok());
        let bad = UnitInput {
            kind: "club".into(),
            ..u
        };
        assert_eq!(bad.validate().unwrap_err().errors[0].field, "kind");
    }

    #[test]
    fn times_round_trip() {
        let ms = parse_time("2024-02-10T00:00:00+08:00").unwrap();
        assert_eq!(format_time(ms), "2024-02-09T16:00:00Z");
    }
}
