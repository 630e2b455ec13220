//! Extractors whose failures are problem+json naming what was wrong, and the caller's
//! scope, which every handler takes and passes to the store.

use anju_core::{AreaCode, Scope, ValidationError};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{AppState, error::ApiError};

/// JSON body; a malformed body is 400 with the parser's message (it names the field and
/// position), an oversized one 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(json_rejection(e)),
        }
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    ApiError::BadRequest(e.body_text())
}

/// Query string; a bad parameter is 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> ApiError {
    ApiError::BadRequest(e.body_text())
}

/// Who is calling, and so what they may see. Until accounts exist every caller has the
/// whole tree with personal data masked; this is the one place that changes when they do.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller {
            scope: Scope::everything().with_personal_data(false),
        })
    }
}

/// Parses an area code from a path or query value, naming `field` when it is bad.
pub fn area_param(field: &str, s: &str) -> Result<AreaCode, ApiError> {
    AreaCode::parse(s)
        .map_err(|e| ValidationError::single(field, "invalid_area", e.to_string()).into())
}

pub fn uuid_param(field: &str, s: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(s)
        .map_err(|_| ValidationError::single(field, "invalid_id", "not a UUID").into())
}
