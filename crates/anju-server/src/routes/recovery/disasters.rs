//! `/disasters`: declare, list, read and change disasters; their overview per area.

use anju_core::recovery::{DisasterInput, DisasterPatch};
use anju_store::{DisasterView, Overview};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};
use crate::routes::items::client_id;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_disasters, declare_disaster))
        .routes(routes!(get_disaster, patch_disaster))
        .routes(routes!(overview))
}

/// The disasters the caller sees: those declared for an area on one path with theirs.
#[utoipa::path(get, path = "/disasters", tag = "recovery",
    responses((status = 200, body = Vec<DisasterView>)))]
async fn list_disasters(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DisasterView>>, ApiError> {
    Ok(Json(s.store.list_disasters(&caller.scope).await?))
}

/// Declares a disaster (leaders: roles that may verify), for an area in the caller's scope.
#[utoipa::path(post, path = "/disasters", tag = "recovery", request_body = DisasterInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retried declaration happen once")),
    responses((status = 201, body = DisasterView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn declare_disaster(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DisasterInput>,
) -> Result<(StatusCode, Json<DisasterView>), ApiError> {
    let d = input.validate()?;
    let id = client_id(input.id, &headers, caller.user.id)?;
    let v = s.store.declare_disaster(&caller.scope, id, &d).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/disasters/{id}", tag = "recovery", params(("id" = String, Path)),
    responses((status = 200, body = DisasterView), (status = 404, body = Problem)))]
async fn get_disaster(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DisasterView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.disaster(&caller.scope, id).await?))
}

/// Changes the end date, the move-in target or the grades that open cases.
#[utoipa::path(patch, path = "/disasters/{id}", tag = "recovery", params(("id" = String, Path)),
    request_body = DisasterPatch,
    responses((status = 200, body = DisasterView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn patch_disaster(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<DisasterPatch>,
) -> Result<Json<DisasterView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(
        s.store.patch_disaster(&caller.scope, id, &patch).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// The area whose figures and children's figures to show (default: the caller's own).
    pub area: Option<String>,
}

/// The disaster's figures for an area and each child area, kept up to date by every
/// write; `late` is counted for today from the schedule.
#[utoipa::path(get, path = "/disasters/{id}/overview", tag = "recovery",
    params(("id" = String, Path), OverviewParams),
    responses((status = 200, body = Overview), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn overview(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<OverviewParams>,
) -> Result<Json<Overview>, ApiError> {
    let id = uuid_param("id", &id)?;
    let area = p
        .area
        .as_deref()
        .map(|a| area_param("area", a))
        .transpose()?;
    Ok(Json(
        s.store.recovery_overview(&caller.scope, id, area).await?,
    ))
}
