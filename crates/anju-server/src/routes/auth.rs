//! `/auth`: sign in, sign out, who am I.

use std::sync::atomic::Ordering;

use anju_core::{Actor, Permission, Role, Scope};
use anju_store::UserView;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::{clear_cookie, new_token, session_cookie, token_hash, verify_password};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Caller, PeerIp};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>` (scripts), or rely on the cookie (browser).
    pub token: String,
    /// With the cookie, send this in `x-csrf-token` on every change.
    pub csrf_token: String,
    pub expires_at: String,
    pub user: UserView,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    pub permissions: Vec<Permission>,
}

const WRONG: &str = "wrong username or password";

/// Signs in. Wrong passwords are throttled per account and per address; the answer never
/// says whether the username exists.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(s): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let now = s.store.clock().now_ms();
    let keys = vec![
        format!("u:{}", req.username.trim().to_lowercase()),
        format!("a:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
    ];
    let since = now - s.auth.failure_window_ms;
    let counts = s.store.login_failures(&keys, since).await?;
    if counts[0] >= s.auth.max_failures_per_account || counts[1] >= s.auth.max_failures_per_address
    {
        return Err(ApiError::TooManyRequests(
            "too many failed sign-ins; wait a minute and try again".into(),
        ));
    }
    let creds = s.store.credentials(req.username.trim()).await?;
    s.hash_checks.fetch_add(1, Ordering::Relaxed);
    let ok = verify_password(
        creds.as_ref().map(|c| c.password_hash.clone()),
        req.password,
    )
    .await?;
    let user = match creds {
        Some(c) if ok && !c.user.disabled => c.user,
        _ => {
            s.store.record_login_failure(&keys, since).await?;
            return Err(ApiError::Unauthenticated(WRONG.into()));
        }
    };
    let area =
        anju_core::AreaCode::parse(&user.area).map_err(|e| ApiError::Internal(e.to_string()))?;
    let scope = Scope::user(
        area,
        user.role,
        Actor {
            user_id: user.id,
            ip,
        },
    );
    let token = new_token();
    let csrf = new_token();
    let expires_at = now + s.auth.session_ttl_ms;
    s.store
        .create_session(&user, &token_hash(&token), &csrf, expires_at, &scope)
        .await?;
    let body = LoginResponse {
        token: token.clone(),
        csrf_token: csrf,
        expires_at: anju_core::officer::format_time(expires_at),
        permissions: user.role.permissions().list(),
        user,
    };
    let cookie = session_cookie(&token, s.auth.session_ttl_ms / 1000, s.auth.secure_cookie);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok((headers, Json(body)).into_response())
}

/// Signs out: the session is revoked on every server instance at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = Problem)))]
async fn logout(State(s): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    s.store
        .revoke_session(&caller.scope, &caller.token_hash)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear_cookie(s.auth.secure_cookie))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok((axum::http::StatusCode::NO_CONTENT, headers).into_response())
}

/// The signed-in user and what they may do.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(caller: Caller) -> Json<Me> {
    let role: Role = caller.user.role;
    Json(Me {
        permissions: role.permissions().list(),
        user: caller.user,
    })
}
