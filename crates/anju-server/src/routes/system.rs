//! Health, readiness and the landing page.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
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

pub async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    if uri.path().starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    if uri.path() == "/" {
        return Html(LANDING).into_response();
    }
    (StatusCode::NOT_FOUND, Html("<h1>404</h1>")).into_response()
}

const LANDING: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>安居 Anju</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>安居 Anju</h1>
<p>灾害防治与恢复重建闭环平台 · Closed-loop disaster prevention and recovery</p>
<ul>
<li><a href="/api/v1/areas/50">/api/v1/areas/50</a> — 重庆市 Chongqing</li>
<li><a href="/api/v1/areas/50/children">/api/v1/areas/50/children</a> — 区县 districts</li>
<li><a href="/api/v1/households?area=500101&amp;limit=5">/api/v1/households</a> — 住户 households</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a> — OpenAPI</li>
</ul>
</body></html>"#;
