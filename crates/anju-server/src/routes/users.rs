//! `/users`: accounts, managed by admins within their subtree.

use anju_core::view::Page;
use anju_core::{Role, ValidationError};
use anju_store::{NewUser, UserView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::hash_password;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, uuid_param};
use crate::routes::ListParams;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_password))
        .routes(routes!(revoke_sessions))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserInput {
    pub username: String,
    pub password: String,
    pub role: String,
    pub area: String,
    #[serde(default)]
    pub officer_id: Option<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserPatch {
    /// Disable (and sign out) or enable the account.
    pub disabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub sessions: u64,
}

/// Users in the caller's subtree (admins).
#[utoipa::path(get, path = "/users", tag = "users", params(ListParams),
    responses((status = 200, body = Page<UserView>), (status = 403, body = Problem)))]
async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Page<UserView>>, ApiError> {
    Ok(Json(
        s.store.list_users(&caller.scope, &p.to_query()?).await?,
    ))
}

/// Creates a user bound to an area in the caller's subtree; the role must match the
/// area's level.
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(u): ApiJson<UserInput>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::ManageUsers)
        .map_err(anju_store::StoreError::from)?;
    let mut v = ValidationError::default();
    let role = Role::parse(&u.role);
    if role.is_none() {
        v.push(
            "role",
            "invalid_choice",
            "one of admin, city, district, town, village, viewer",
        );
    }
    let area = v.check("area", "invalid_area", anju_core::AreaCode::parse(&u.area));
    if let Err(e) = anju_core::access::check_password(&u.username, &u.password) {
        v.errors.extend(e.errors);
    }
    let (Some(role), Some(area)) = (role, area) else {
        return Err(v.into());
    };
    v.finish(())?;
    let hash = hash_password(u.password).await?;
    let user = s
        .store
        .create_user(
            &caller.scope,
            &NewUser {
                username: u.username,
                password_hash: hash,
                role,
                area,
                officer_id: u.officer_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn get_user(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        s.store.user(&caller.scope, uuid_param("id", &id)?).await?,
    ))
}

/// Disables or enables a user.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = UserPatch, responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn update_user(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let id = uuid_param("id", &id)?;
    if id == caller.user.id && p.disabled {
        return Err(
            ValidationError::single("disabled", "self", "you cannot disable yourself").into(),
        );
    }
    Ok(Json(
        s.store
            .set_user_disabled(&caller.scope, id, p.disabled)
            .await?,
    ))
}

/// Sets a new password and signs the user out everywhere.
#[utoipa::path(post, path = "/users/{id}/password", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = PasswordReset, responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reset_password(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    let id = uuid_param("id", &id)?;
    let user = s.store.user(&caller.scope, id).await?;
    anju_core::access::check_password(&user.username, &p.password)?;
    let hash = hash_password(p.password).await?;
    s.store.set_password(&caller.scope, id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every session of a user; takes effect on their next request, on any instance.
#[utoipa::path(delete, path = "/users/{id}/sessions", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = Revoked), (status = 404, body = Problem)))]
async fn revoke_sessions(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(Revoked {
        sessions: s.store.revoke_user_sessions(&caller.scope, id).await?,
    }))
}
