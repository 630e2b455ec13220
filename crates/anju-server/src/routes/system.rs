//! Health, readiness, and the fallback that hands other paths to the web app.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document: every route the server serves, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
async fn openapi_json(
    State(s): State<AppState>,
) -> Result<Json<utoipa::openapi::OpenApi>, ApiError> {
    s.openapi
        .get()
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::Internal("the OpenAPI document was not built".into()))
}

pub fn root_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn readyz(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    s.store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database unreachable: {e}")))?;
    Ok(Json(Health { status: "ready" }))
}

/// Anything the API does not serve: under `/api/` a problem+json 404, elsewhere the
/// embedded web app (its files, or `index.html` for the app's own routes).
pub async fn not_found(
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return ApiError::NotFound.into_response();
    }
    crate::web::serve(&method, &uri, &headers)
}
