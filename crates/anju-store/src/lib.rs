//! Anju's storage: one `Store` over two backends, SQLite (embedded, the default) and
//! PostgreSQL (production). Both run the same SQL (`$n` placeholders, BIGINT/TEXT
//! columns) and the same tests; each backend has its own migration tree.
//!
//! Every query takes a [`Scope`](anju_core::Scope): rows outside its subtree are not
//! found, not counted and not listed.

mod archive;
mod areas;
mod attachments;
mod audit;
mod backup;
mod error;
mod export;
mod field_forms;
mod field_import;
mod households;
mod houses;
mod import;
mod items;
mod jobs;
mod notifications;
mod officers;
mod page;
mod pool;
mod prevention;
mod rawscan;
mod recovery;
mod reports;
mod units;
mod users;

pub use areas::{AreaSeed, BoundarySeed};
pub use attachments::{AttachmentMeta, MAX_ATTACHMENT_BYTES};
pub use audit::{AuditEntry, AuditView, ChainBreak, ChainReport};
pub use backup::TableProgress;
pub use error::StoreError;
pub use export::{EXPORT_PAGE, ExportCursor, ExportPage};
pub use field_forms::{FieldFormView, MAX_FORM_NAME_CHARS};
pub use field_import::FieldImportOptions;
pub use households::HouseholdSeed;
pub use import::{FileImport, ImportOutcome, ImportProgress, ImportSummary};
pub use items::{
    DeadlineRun, EventView, HistoryStep, Inbox, ItemBreak, ItemChainReport, ItemDetail,
    ItemHistory, ItemQuery, ItemStats, ItemStatsRow, ItemView,
};
pub use jobs::{ImportJobView, JobEnd, RowErrorView};
pub use notifications::NotificationView;
pub use officers::OfficerSeed;
pub use page::ListQuery;
pub use pool::{Backend, Store};
pub use prevention::{
    FeatureError, GeoImportReport, HouseholdSiteView, PlanChangeView, PlanSiteView, PlanView,
    PreventionQuery, Replanned, RiskPatch, RiskRefusal, RiskView, RosterEntry, RosterMember,
    SitePatch, SiteView, ThreatView, UnplacedView, parse_hazard,
};
pub use recovery::{
    AppealInput, AssessmentDetail, AssessmentQuery, AssessmentSeed, AssessmentVersion,
    AssessmentView, CaseAction, CasePatch, CaseQuery, CaseView, DamagePage, DamageQuery,
    DisasterView, GateView, LoadSummary, Overview, OverviewArea, OverviewChild, PaymentInput,
    RebuildProgress, TrancheView,
};
pub use reports::{ReportQuery, ReportView};
pub use users::{Credentials, NewUser, SessionUser, UserView};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
