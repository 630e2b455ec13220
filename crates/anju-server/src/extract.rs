//! Extractors whose failures are problem+json naming what was wrong, and the caller:
//! who they are and the scope every store call takes. A handler that takes `Caller` is
//! authenticated and scoped; one that does not is public and must be listed in
//! docs/security.md.

use std::net::{IpAddr, SocketAddr};

use anju_core::{Actor, AreaCode, Scope, ValidationError};
use anju_store::UserView;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::auth::{COOKIE, CSRF_HEADER, token_hash};
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

/// The client's address as the socket saw it.
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The session token from `Authorization: Bearer …` or, failing that, the cookie.
/// The flag says whether it came from the cookie (and so needs the CSRF check).
pub fn session_token(parts: &Parts) -> Option<(String, bool)> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some((t.trim().to_owned(), false));
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .filter(|(_, v)| !v.is_empty())
        .map(|(_, v)| (v.to_owned(), true))
}

/// The signed-in caller and the scope every store call of theirs runs under.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    pub user: UserView,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, from_cookie) = session_token(parts)
            .ok_or_else(|| ApiError::Unauthenticated("sign in first".into()))?;
        let hash = token_hash(&token);
        let s = state.store.session_user(&hash).await?.ok_or_else(|| {
            ApiError::Unauthenticated(
                "the session has expired or was revoked; sign in again".into(),
            )
        })?;
        // A browser sends cookies on cross-site requests too (SameSite aside): a change made
        // with the cookie must also carry the token only our own page can read.
        if from_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent.is_empty() || sent != s.csrf_token {
                return Err(ApiError::Forbidden(format!(
                    "missing or wrong {CSRF_HEADER} header"
                )));
            }
        }
        let actor = Actor {
            user_id: s.user.id,
            ip: peer_ip(parts),
        };
        Ok(Caller {
            scope: Scope::user(s.area, s.user.role, actor),
            user: s.user,
            token_hash: hash,
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

/// The client's address, when the server knows it.
pub struct PeerIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(peer_ip(parts)))
    }
}
