//! What the API returns: read models of the registry. Personal data in them is already
//! masked unless the scope they were read under may see it.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::area::{AreaLevel, GeoPoint};
use crate::household::{PovertyCategory, Sex, StructureType, Vulnerability};
use crate::officer::{DutyRole, UnitKind};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaView {
    pub code: String,
    pub level: AreaLevel,
    pub parent: Option<String>,
    pub name_zh: String,
    pub name_official: String,
    pub name_en: String,
    pub point: Option<GeoPoint>,
    /// True when the point was derived (towns and villages), not surveyed.
    pub point_approximate: bool,
    /// Number of direct children.
    pub children: i64,
    /// Households in the whole subtree (archived ones excluded).
    pub households: i64,
    pub people: i64,
    pub vulnerable_people: i64,
    pub supervising_unit: Option<UnitRef>,
    /// Set when the code was retired; `successor` names the code that replaced it.
    pub retired_at: Option<String>,
    pub successor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub name: String,
    pub sex: Sex,
    pub birth_date: String,
    /// Masked (`510***********1234`) unless the caller may see personal data.
    pub id_number: Option<String>,
    pub relation: Option<String>,
    pub vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: Uuid,
    pub area: String,
    pub address: String,
    pub head_name: String,
    /// Masked (`138****5678`) unless the caller may see personal data.
    pub phone: Option<String>,
    pub responsible_officer_id: Option<Uuid>,
    pub grid_officer_id: Option<Uuid>,
    pub poverty_category: PovertyCategory,
    pub people: i64,
    pub vulnerable_people: i64,
    pub members: Vec<MemberView>,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseView {
    pub id: Uuid,
    pub area: String,
    pub address: String,
    pub point: GeoPoint,
    pub structure: StructureType,
    pub floors: i64,
    pub rooms: Option<i64>,
    pub year_built: Option<i64>,
    pub owner_household_id: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitView {
    pub id: Uuid,
    pub name: String,
    pub kind: UnitKind,
    pub area: String,
    pub phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyView {
    pub area: String,
    pub role: DutyRole,
    pub shifts: Vec<ShiftView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficerView {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub unit_id: Uuid,
    pub unit_name: String,
    /// The area of the officer's unit.
    pub area: String,
    pub title: Option<String>,
    pub duties: Vec<DutyView>,
    /// Households whose grid this officer keeps (grid members only).
    pub grid_households: i64,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
}

/// One page of a list; pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Who answers for an area: every officer with a duty there, and who is on duty at `at`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaDutyView {
    pub area: String,
    pub at: String,
    pub officers: Vec<OfficerView>,
    /// Duty officers whose roster shift covers `at`.
    pub on_duty: Vec<Uuid>,
}
