//! Recovery (docs/recovery.md): `/disasters` with their overview, damage map and
//! assessments, `/assessments` and their appeals, `/cases` with gates and tranches.
//! Each group is its own router; field-form imports plug in beside them.

pub mod assessments;
pub mod cases;
pub mod disasters;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(disasters::router())
        .merge(assessments::router())
        .merge(cases::router())
}

/// An `outcome`/`grade` query value.
pub(crate) fn outcome_param(
    field: &str,
    s: Option<&str>,
) -> Result<Option<anju_core::recovery::Outcome>, ApiError> {
    s.map(|g| {
        anju_core::recovery::Outcome::parse(g).ok_or_else(|| {
            anju_core::ValidationError::single(field, "invalid_grade", "A, B, C, D or inaccessible")
                .into()
        })
    })
    .transpose()
}
