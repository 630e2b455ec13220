//! One error type for the HTTP edge, rendered as `application/problem+json` (RFC 9457)
//! with a stable `type` per kind. Internal causes go to the log, not to the client.

use anju_core::{FieldError, ValidationError};
use anju_store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:anju:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: every failing field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For a refused lifecycle transition: the transitions the item's state allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<anju_core::lifecycle::Action>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// A lifecycle transition the item's state does not allow.
    #[error("{detail}")]
    Transition {
        detail: String,
        allowed: Vec<anju_core::lifecycle::Action>,
    },
    #[error("the request body is larger than the limit")]
    PayloadTooLarge,
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Validation(v) => ApiError::Validation(v),
            StoreError::OutOfScope(a) => {
                ApiError::Forbidden(format!("the area {a} is outside your scope"))
            }
            StoreError::Forbidden(p) => ApiError::Forbidden(format!(
                "your role may not do this ({})",
                permission_name(p)
            )),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Transition(t) => {
                use anju_core::lifecycle::TransitionError as T;
                match &t {
                    T::NotAllowedFrom { allowed, .. } => ApiError::Transition {
                        detail: t.to_string(),
                        allowed: allowed.clone(),
                    },
                    T::NotYours { .. } => ApiError::Forbidden(t.to_string()),
                    T::Missing(m) => ApiError::Conflict((*m).to_owned()),
                }
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in first")
            }
            ApiError::TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many attempts",
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
            ),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::Transition { .. } => (
                StatusCode::CONFLICT,
                "transition-not-allowed",
                "Transition not allowed",
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, kind, title) = self.parts();
        let detail = match self {
            ApiError::NotFound => "no such record, or it is outside your scope".to_owned(),
            ApiError::Internal(_) => "the server failed; the error is logged".to_owned(),
            other => other.to_string(),
        };
        Problem {
            kind: format!("urn:anju:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Validation(v) => Some(v.errors.clone()),
                _ => None,
            },
            allowed: match self {
                ApiError::Transition { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let p = self.problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut r = (status, body).into_response();
        if matches!(self, ApiError::TooManyRequests(_)) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}

fn permission_name(p: anju_core::Permission) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
