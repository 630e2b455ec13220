//! `/audit`: the access audit trail, for admins, limited to their subtree.

use anju_store::AuditView;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Caller, area_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Limit to this area's subtree.
    pub area: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
    /// `next_before` of the previous page.
    pub before: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub next_before: Option<i64>,
}

/// Who did what, when and from where — newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)))]
async fn list_audit(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let area = q
        .area
        .as_deref()
        .map(|a| area_param("area", a))
        .transpose()?;
    let (items, next_before) = s
        .store
        .audit(&caller.scope, area, q.limit.unwrap_or(100), q.before)
        .await?;
    Ok(Json(AuditPage { items, next_before }))
}
