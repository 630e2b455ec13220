//! `/cases`: reconstruction cases with their gates and tranches; the plan and amount
//! while planned; tranche payments. Stages move through the gate items
//! (`POST /items/{id}/transitions`).

use anju_core::ValidationError;
use anju_core::recovery::{Plan, Stage};
use anju_core::view::Page;
use anju_store::{CasePatch, CaseQuery, CaseView, PaymentInput};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(get_case, patch_case))
        .routes(routes!(pay_tranche))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseParams {
    pub area: Option<String>,
    /// planned, funded, under_construction, completed, accepted, moved_in.
    pub stage: Option<String>,
    /// repair, rebuild_in_place, relocate, resettle.
    pub plan: Option<String>,
    /// Only late (true) or only on-time (false) cases, as of today.
    pub late: Option<bool>,
    /// 1–500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A disaster's live cases in area order.
#[utoipa::path(get, path = "/disasters/{id}/cases", tag = "recovery",
    params(("id" = String, Path), CaseParams),
    responses((status = 200, body = Page<CaseView>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_cases(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CaseParams>,
) -> Result<Json<Page<CaseView>>, ApiError> {
    let id = uuid_param("id", &id)?;
    let mut v = ValidationError::default();
    let stage = p.stage.as_deref().and_then(|s| {
        let r = Stage::parse(s);
        if r.is_none() {
            v.push("stage", "invalid_stage", "not a case stage");
        }
        r
    });
    let plan = p.plan.as_deref().and_then(|s| {
        let r = Plan::parse(s);
        if r.is_none() {
            v.push("plan", "invalid_plan", "not a plan");
        }
        r
    });
    v.finish(())?;
    let q = CaseQuery {
        area: p
            .area
            .as_deref()
            .map(|a| area_param("area", a))
            .transpose()?,
        stage,
        plan,
        late: p.late,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(Json(s.store.list_cases(&caller.scope, id, &q).await?))
}

/// One case with its gates (the items that move it) and its tranches.
#[utoipa::path(get, path = "/cases/{id}", tag = "recovery", params(("id" = String, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = Problem)))]
async fn get_case(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.case(&caller.scope, id).await?))
}

/// Changes the plan or the amount to approve (fen) while the case is planned (409 after).
#[utoipa::path(patch, path = "/cases/{id}", tag = "recovery", params(("id" = String, Path)),
    request_body = CasePatch,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn patch_case(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CasePatch>,
) -> Result<Json<CaseView>, ApiError> {
    let id = uuid_param("id", &id)?;
    let (plan, amount) = patch.validate()?;
    Ok(Json(
        s.store.patch_case(&caller.scope, id, plan, amount).await?,
    ))
}

/// Records the payment of a released tranche; a pending (its inspection not verified)
/// or paid tranche is 409.
#[utoipa::path(post, path = "/cases/{id}/tranches/{n}/payment", tag = "recovery",
    params(("id" = String, Path), ("n" = i64, Path, description = "tranche number, from 1")),
    request_body = PaymentInput,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn pay_tranche(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(String, String)>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<Json<CaseView>, ApiError> {
    let id = uuid_param("id", &id)?;
    let n: i64 = n
        .parse()
        .map_err(|_| ValidationError::single("n", "invalid_number", "a tranche number from 1"))?;
    Ok(Json(
        s.store.pay_tranche(&caller.scope, id, n, &input).await?,
    ))
}
