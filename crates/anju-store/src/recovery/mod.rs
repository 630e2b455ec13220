//! Recovery (docs/recovery.md): disasters (`disasters`), damage assessments and appeals
//! (`assess`), reconstruction cases and their tranches (`cases`), the figures per area
//! (`rollup`: overview, rebuild, recount) and the writes they share inside one
//! transaction (`write`), including the hook a verified case gate runs in the items'
//! transition.
//!
//! Figures are kept in `recovery_rollup` per (disaster, area) and moved by deltas in the
//! transaction of every write. The lock order of every recovery write extends the items'
//! one: the house row, item rows, the case row, the household rows, the item counts, the
//! recovery figures (each set in ascending code, i.e. root first), the ledger head, the
//! audit head.

mod assess;
mod cases;
mod disasters;
mod read;
mod rollup;
mod write;

use anju_core::recovery::{Figures, Schedule};
use serde::Serialize;
use uuid::Uuid;

use crate::attachments::AttachmentMeta;

pub use assess::{AppealInput, AssessmentSeed, LoadSummary};
pub use cases::{CasePatch, CaseQuery, PaymentInput};
pub use read::{AssessmentQuery, DamageQuery};
pub use rollup::RebuildProgress;
pub(crate) use write::{RecoveryTx, WriteCtx};

/// A disaster as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisasterView {
    pub id: Uuid,
    pub name: String,
    pub hazard: anju_core::recovery::Hazard,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub area: String,
    pub area_name: String,
    pub affected: Vec<String>,
    pub target_move_in: String,
    /// Grades that open a reconstruction case.
    pub case_grades: Vec<anju_core::recovery::DamageGrade>,
    pub schedule: Schedule,
    pub created_at: String,
    pub updated_at: String,
}

/// An area as the overview names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverviewArea {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: anju_core::AreaLevel,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverviewChild {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: anju_core::AreaLevel,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub figures: Figures,
}

/// A disaster's figures for an area and each of its child areas.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub disaster: DisasterView,
    pub area: OverviewArea,
    /// The day (China time) `late` was counted for.
    pub as_of: String,
    pub totals: Figures,
    pub children: Vec<OverviewChild>,
}

/// Houses with their latest assessment, compact for a map: `[house_id, lon, lat,
/// outcome, rooms_collapsed]`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DamagePage {
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub items: Vec<(Uuid, f64, f64, String, i64)>,
    pub next_cursor: Option<String>,
}

/// One version of one house's assessment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    pub disaster_id: Uuid,
    pub house_id: Uuid,
    pub house_address: String,
    pub area: String,
    pub area_name: String,
    pub version: i64,
    pub latest: bool,
    /// `A`, `B`, `C`, `D` or `inaccessible`.
    #[schema(value_type = String)]
    pub outcome: anju_core::recovery::Outcome,
    /// EMS-98 grade 1–5; none when inaccessible.
    pub ems98: Option<u8>,
    pub fema: anju_core::recovery::Fema,
    pub rooms_collapsed: i64,
    pub rooms_damaged: i64,
    pub household_id: Option<Uuid>,
    pub assessor_officer_id: Option<Uuid>,
    pub assessor_name: Option<String>,
    pub assessed_on: String,
    pub note: String,
    pub photos: Vec<AttachmentMeta>,
    pub lon: f64,
    pub lat: f64,
    pub source_uuid: Option<String>,
    /// The house's case in this disaster, if one was opened.
    pub case_id: Option<Uuid>,
    /// The appeal against this version (a `reassessment` item).
    pub appeal_item_id: Option<Uuid>,
    /// The appeal this version answers.
    pub answers_appeal: Option<Uuid>,
    pub created_at: String,
}

/// A version in the list of a house's assessments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentVersion {
    pub id: Uuid,
    pub version: i64,
    pub latest: bool,
    #[schema(value_type = String)]
    pub outcome: anju_core::recovery::Outcome,
    pub assessed_on: String,
    pub assessor_name: Option<String>,
    pub appeal_item_id: Option<Uuid>,
}

/// One assessment version with every version of its house.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentDetail {
    #[serde(flatten)]
    pub assessment: AssessmentView,
    pub versions: Vec<AssessmentVersion>,
}

/// One gate of a case: its item and what verifying it does.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GateView {
    pub seq: i64,
    pub gate: anju_core::recovery::Gate,
    pub kind: anju_core::item::ItemKind,
    /// The stage the case enters when the gate is verified.
    pub effect: Option<anju_core::recovery::Stage>,
    /// The tranche it releases.
    pub releases: Option<u8>,
    /// Not yet opened gates have no item.
    pub item_id: Option<Uuid>,
    pub state: Option<anju_core::lifecycle::ItemState>,
    pub due_at: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrancheView {
    pub n: i64,
    pub gate: anju_core::recovery::Gate,
    pub share_pct: i64,
    pub amount: i64,
    pub status: anju_core::recovery::TrancheStatus,
    pub released_at: Option<String>,
    pub paid_on: Option<String>,
    pub reference: Option<String>,
}

/// What the reader may do to a case now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    ChangePlan,
    ChangeAmount,
    Pay,
}

/// A reconstruction case as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    pub disaster_id: Uuid,
    pub house_id: Uuid,
    pub house_address: String,
    pub household_id: Option<Uuid>,
    pub head_name: Option<String>,
    pub area: String,
    pub area_name: String,
    pub grade: anju_core::recovery::DamageGrade,
    pub plan: anju_core::recovery::Plan,
    pub stage: anju_core::recovery::Stage,
    /// Cancelled cases (the house was re-graded outside the disaster's case grades
    /// before funding) count nowhere.
    pub cancelled: bool,
    pub late: bool,
    /// The day the case must leave its stage by (the next stage's milestone).
    pub stage_due_on: Option<String>,
    /// The amount to approve (fen), set while planned.
    pub amount: i64,
    pub amount_approved: i64,
    pub funds_released: i64,
    pub funds_paid: i64,
    /// Every gate of the plan; those not yet reached have no item.
    pub gates: Vec<GateView>,
    pub tranches: Vec<TrancheView>,
    pub opened_at: String,
    pub updated_at: String,
    pub allowed: Vec<CaseAction>,
}
