//! Assessments: the damage map, the list of latest assessments, assessing a house,
//! one assessment with its versions, and the household's appeal.

use anju_core::recovery::AssessmentInput;
use anju_core::view::Page;
use anju_store::{
    AppealInput, AssessmentDetail, AssessmentQuery, AssessmentView, DamagePage, DamageQuery,
    ItemView,
};
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
use crate::routes::recovery::outcome_param;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(damage))
        .routes(routes!(list_assessments, assess))
        .routes(routes!(get_assessment))
        .routes(routes!(appeal))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DamageParams {
    /// Limit to this area's subtree.
    pub area: Option<String>,
    /// A, B, C, D or inaccessible.
    pub grade: Option<String>,
    /// 1–5000 (default 1000).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Houses with their latest assessment, compact for the map:
/// `[house_id, lon, lat, outcome, rooms_collapsed]`.
#[utoipa::path(get, path = "/disasters/{id}/damage", tag = "recovery",
    params(("id" = String, Path), DamageParams),
    responses((status = 200, body = DamagePage), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn damage(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<DamageParams>,
) -> Result<Json<DamagePage>, ApiError> {
    let id = uuid_param("id", &id)?;
    let q = DamageQuery {
        area: p
            .area
            .as_deref()
            .map(|a| area_param("area", a))
            .transpose()?,
        outcome: outcome_param("grade", p.grade.as_deref())?,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(Json(s.store.damage(&caller.scope, id, &q).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentParams {
    pub area: Option<String>,
    /// A, B, C, D or inaccessible.
    pub grade: Option<String>,
    /// Text in the house's address.
    pub q: Option<String>,
    /// 1–500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The latest assessment of each house, in area order.
#[utoipa::path(get, path = "/disasters/{id}/assessments", tag = "recovery",
    params(("id" = String, Path), AssessmentParams),
    responses((status = 200, body = Page<AssessmentView>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_assessments(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<AssessmentParams>,
) -> Result<Json<Page<AssessmentView>>, ApiError> {
    let id = uuid_param("id", &id)?;
    let q = AssessmentQuery {
        area: p
            .area
            .as_deref()
            .map(|a| area_param("area", a))
            .transpose()?,
        outcome: outcome_param("grade", p.grade.as_deref())?,
        q: p.q,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(Json(s.store.list_assessments(&caller.scope, id, &q).await?))
}

/// Assesses a house: a new version that counts from now on, opening (or cancelling) its
/// reconstruction case and moving the figures in the same transaction. With
/// `answers_appeal`, the assessor must differ from the one appealed against (409).
#[utoipa::path(post, path = "/disasters/{id}/assessments", tag = "recovery",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "makes a retried assessment happen once")),
    request_body = AssessmentInput,
    responses((status = 201, body = AssessmentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn assess(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> Result<(StatusCode, Json<AssessmentView>), ApiError> {
    let disaster = uuid_param("id", &id)?;
    let a = input.validate(s.store.clock().today())?;
    let id = client_id(input.id, &headers, caller.user.id)?;
    let v = s.store.assess(&caller.scope, disaster, id, &a).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One assessment version, with every version of the house.
#[utoipa::path(get, path = "/assessments/{id}", tag = "recovery", params(("id" = String, Path)),
    responses((status = 200, body = AssessmentDetail), (status = 404, body = Problem)))]
async fn get_assessment(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AssessmentDetail>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.assessment(&caller.scope, id).await?))
}

/// The household appeals the latest assessment (申诉): a `reassessment` item owned by the
/// assessing unit. 409 when an appeal is open or the version is not the latest.
#[utoipa::path(post, path = "/assessments/{id}/appeal", tag = "recovery", params(("id" = String, Path)),
    request_body = AppealInput,
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn appeal(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AppealInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let id = uuid_param("id", &id)?;
    let item = s.store.appeal(&caller.scope, id, &input).await?;
    Ok((StatusCode::CREATED, Json(item)))
}
