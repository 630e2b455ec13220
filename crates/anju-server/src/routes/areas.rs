//! `/areas`: the tree, its counts, boundaries and who is on duty.

use anju_core::AreaLevel;
use anju_core::view::{AreaDutyView, AreaView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_area, update_area))
        .routes(routes!(area_children))
        .routes(routes!(area_boundary))
        .routes(routes!(area_duty))
}

/// An area: level, parent, names, point, and counts over its subtree.
#[utoipa::path(get, path = "/areas/{code}", tag = "areas",
    params(("code" = String, Path, description = "Area code: 2, 6, 9 or 12 digits")),
    responses((status = 200, body = AreaView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn get_area(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<AreaView>, ApiError> {
    let c = area_param("code", &code)?;
    Ok(Json(s.store.area(&caller.scope, c).await?))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AreaUpdate {
    /// The unit that supervises this area.
    pub supervising_unit_id: String,
}

/// Names the unit that supervises an area.
#[utoipa::path(patch, path = "/areas/{code}", tag = "areas",
    params(("code" = String, Path, description = "Area code")),
    request_body = AreaUpdate,
    responses((status = 200, body = AreaView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_area(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<AreaUpdate>,
) -> Result<Json<AreaView>, ApiError> {
    let c = area_param("code", &code)?;
    let unit = uuid_param("supervising_unit_id", &body.supervising_unit_id)?;
    Ok(Json(
        s.store.set_supervising_unit(&caller.scope, c, unit).await?,
    ))
}

/// The direct children of an area, in code order.
#[utoipa::path(get, path = "/areas/{code}/children", tag = "areas",
    params(("code" = String, Path, description = "Area code")),
    responses((status = 200, body = Vec<AreaView>), (status = 404, body = Problem)))]
async fn area_children(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Vec<AreaView>>, ApiError> {
    let c = area_param("code", &code)?;
    Ok(Json(s.store.area_children(&caller.scope, c).await?))
}

/// The boundary as a GeoJSON Feature. Districts and the municipality have polygons
/// (replaceable by a deployment's approved file); towns and villages a Point marked
/// `approximate`.
#[utoipa::path(get, path = "/areas/{code}/boundary", tag = "areas",
    params(("code" = String, Path, description = "Area code")),
    responses((status = 200, description = "GeoJSON Feature", content_type = "application/geo+json", body = Object),
              (status = 404, body = Problem)))]
async fn area_boundary(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let c = area_param("code", &code)?;
    let area = s.store.area(&caller.scope, c).await?;
    let body = match s.store.area_boundary(&caller.scope, c).await? {
        Some(g) => g,
        None => {
            let point = area.point.ok_or(ApiError::NotFound)?;
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                "properties": {
                    "code": area.code,
                    "name_zh": area.name_zh,
                    "name_en": area.name_en,
                    "level": area.level,
                    "approximate": area.point_approximate || area.level > AreaLevel::District,
                }
            })
            .to_string()
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DutyParams {
    /// The moment to ask about (RFC 3339); now if absent.
    pub at: Option<String>,
}

/// Who answers for an area: leaders, duty officers (and who is on shift at `at`),
/// cadres and grid members.
#[utoipa::path(get, path = "/areas/{code}/duty", tag = "areas",
    params(("code" = String, Path, description = "Area code"), DutyParams),
    responses((status = 200, body = AreaDutyView), (status = 404, body = Problem)))]
async fn area_duty(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<DutyParams>,
) -> Result<Json<AreaDutyView>, ApiError> {
    let c = area_param("code", &code)?;
    let at = match q.at {
        Some(t) => anju_core::officer::parse_time(&t)
            .map_err(|m| anju_core::ValidationError::single("at", "invalid_time", m))?,
        None => s.store.clock().now_ms(),
    };
    Ok(Json(s.store.area_duty(&caller.scope, c, at).await?))
}
