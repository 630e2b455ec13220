//! `/items`: the closed loop — create, list, read with history, transitions, splitting,
//! the supervision table; `/inbox` and `/notifications` for what the caller must do.

use anju_core::ValidationError;
use anju_core::item::{ItemInput, ItemKind, ItemSource, SplitInput, TransitionInput};
use anju_core::lifecycle::ItemState;
use anju_core::officer::parse_time;
use anju_core::view::Page;
use anju_store::{Inbox, ItemDetail, ItemQuery, ItemStats, ItemView, NotificationView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(item_stats))
        .routes(routes!(get_item))
        .routes(routes!(transition_item))
        .routes(routes!(split_item))
        .routes(routes!(inbox))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
}

/// The longest idempotency key accepted.
const MAX_KEY: usize = 200;

/// The client's `Idempotency-Key` header, if any: a retried request with the same key has
/// the effect of one.
pub(crate) fn idempotency_key(h: &HeaderMap) -> Result<Option<String>, ApiError> {
    match h.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().map_err(|_| {
                ApiError::BadRequest("Idempotency-Key must be visible ASCII".into())
            })?;
            if k.is_empty() || k.len() > MAX_KEY {
                return Err(ApiError::BadRequest(format!(
                    "Idempotency-Key must be 1–{MAX_KEY} characters"
                )));
            }
            Ok(Some(k.to_owned()))
        }
    }
}

/// The id of a record a client creates: the one it chose, else one derived from its
/// `Idempotency-Key`, else none (the store picks).
pub(crate) fn client_id(
    chosen: Option<uuid::Uuid>,
    headers: &HeaderMap,
    user: uuid::Uuid,
) -> Result<Option<uuid::Uuid>, ApiError> {
    Ok(match (chosen, idempotency_key(headers)?) {
        (Some(id), _) => Some(id),
        (None, Some(k)) => Some(id_from_key(user, &k)),
        (None, None) => None,
    })
}

/// A stable id for a creation retried under one key by one user.
fn id_from_key(user: uuid::Uuid, key: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("{user}/{key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemParams {
    /// Limit to this area's whole subtree.
    pub area: Option<String>,
    /// Owner unit id.
    pub owner_unit: Option<String>,
    /// One state: assigned, accepted, in_progress, submitted, returned, verified, cancelled.
    pub state: Option<String>,
    /// Only open (true) or only closed (false) items.
    pub open: Option<bool>,
    /// Only open items past their deadline.
    pub overdue: Option<bool>,
    /// Due before this time (RFC 3339).
    pub due_before: Option<String>,
    pub kind: Option<String>,
    pub source: Option<String>,
    /// Children of this item.
    pub parent: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl ItemParams {
    fn to_query(&self) -> Result<ItemQuery, ApiError> {
        let mut v = ValidationError::default();
        let state = self.state.as_deref().and_then(|s| {
            let r = serde_json::from_value::<ItemState>(serde_json::Value::String(s.into())).ok();
            if r.is_none() {
                v.push("state", "invalid_state", "not an item state");
            }
            r
        });
        let kind = self.kind.as_deref().and_then(|k| {
            let r = ItemKind::parse(k);
            if r.is_none() {
                v.push("kind", "invalid_kind", "not an item kind");
            }
            r
        });
        let source = self.source.as_deref().and_then(|k| {
            let r = ItemSource::parse(k);
            if r.is_none() {
                v.push("source", "invalid_source", "not an item source");
            }
            r
        });
        let due_before = self
            .due_before
            .as_deref()
            .and_then(|d| v.check("due_before", "invalid_time", parse_time(d)));
        v.finish(())?;
        Ok(ItemQuery {
            area: self
                .area
                .as_deref()
                .map(|a| area_param("area", a))
                .transpose()?,
            owner_unit: self
                .owner_unit
                .as_deref()
                .map(|u| uuid_param("owner_unit", u))
                .transpose()?,
            parent: self
                .parent
                .as_deref()
                .map(|u| uuid_param("parent", u))
                .transpose()?,
            state,
            open: self.open,
            overdue: self.overdue,
            due_before,
            kind,
            source,
            limit: self.limit,
            cursor: self.cursor.clone(),
        })
    }
}

/// Items in the caller's subtree, soonest due first.
#[utoipa::path(get, path = "/items", tag = "items", params(ItemParams),
    responses((status = 200, body = Page<ItemView>), (status = 422, body = Problem)))]
async fn list_items(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ItemParams>,
) -> Result<Json<Page<ItemView>>, ApiError> {
    Ok(Json(
        s.store.list_items(&caller.scope, &p.to_query()?).await?,
    ))
}

/// Assigns a new item. A client-chosen `id` (or an `Idempotency-Key`) makes a retry
/// return the item already made.
#[utoipa::path(post, path = "/items", tag = "items", request_body = ItemInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retried creation happen once")),
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_item(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ItemInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let item = input.validate(s.store.clock().now_ms())?;
    let id = client_id(input.id, &headers, caller.user.id)?;
    let view = s.store.create_item(&caller.scope, id, &item).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// The area whose children are tabulated (default: the caller's own area).
    pub area: Option<String>,
}

/// The supervision table: items by state and overdue for the area and each child area.
#[utoipa::path(get, path = "/items/stats", tag = "items", params(StatsParams),
    responses((status = 200, body = ItemStats), (status = 404, body = Problem)))]
async fn item_stats(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> Result<Json<ItemStats>, ApiError> {
    let area = p
        .area
        .as_deref()
        .map(|a| area_param("area", a))
        .transpose()?;
    Ok(Json(s.store.item_stats(&caller.scope, area).await?))
}

/// One item with its whole history (hash-chained events) and its children.
#[utoipa::path(get, path = "/items/{id}", tag = "items", params(("id" = String, Path)),
    responses((status = 200, body = ItemDetail), (status = 404, body = Problem)))]
async fn get_item(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ItemDetail>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.item(&caller.scope, id).await?))
}

/// Moves an item through its lifecycle. 409 lists the transitions its state allows;
/// 403 when the caller is not the one who may make this one.
#[utoipa::path(post, path = "/items/{id}/transitions", tag = "items", request_body = TransitionInput,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "a retry has the effect of one")),
    responses((status = 200, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transition_item(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(t): ApiJson<TransitionInput>,
) -> Result<Json<ItemView>, ApiError> {
    let id = uuid_param("id", &id)?;
    let key = idempotency_key(&headers)?;
    Ok(Json(
        s.store
            .transition_item(&caller.scope, id, &t, key.as_deref())
            .await?,
    ))
}

/// Splits an item into child items, one per child area (分解任务).
#[utoipa::path(post, path = "/items/{id}/split", tag = "items", request_body = SplitInput,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "a retry has the effect of one")),
    responses((status = 201, body = ItemDetail), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn split_item(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SplitInput>,
) -> Result<(StatusCode, Json<ItemDetail>), ApiError> {
    let id = uuid_param("id", &id)?;
    let key = idempotency_key(&headers)?;
    let parent = s.store.item_view(&caller.scope, id).await?;
    let area = area_param("area", &parent.area)?;
    let due = parse_time(&parent.due_at).map_err(ApiError::Internal)?;
    let children = input.validate(area, due)?;
    let detail = s
        .store
        .split_item(&caller.scope, id, &children, key.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// What the caller must act on now: their unit's work, submissions to verify, reports to
/// triage and unread notices.
#[utoipa::path(get, path = "/inbox", tag = "items",
    responses((status = 200, body = Inbox), (status = 401, body = Problem)))]
async fn inbox(State(s): State<AppState>, caller: Caller) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(s.store.inbox(&caller.scope).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Only unread notices.
    pub unread: Option<bool>,
    pub limit: Option<i64>,
}

/// The caller's notices: reminders, escalations, work handed to them.
#[utoipa::path(get, path = "/notifications", tag = "items", params(NotificationParams),
    responses((status = 200, body = Vec<NotificationView>)))]
async fn list_notifications(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<NotificationParams>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    Ok(Json(
        s.store
            .notifications(
                &caller.scope,
                p.unread.unwrap_or(false),
                p.limit.unwrap_or(50),
            )
            .await?,
    ))
}

/// Marks a notice read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "items", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn read_notification(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = uuid_param("id", &id)?;
    s.store.mark_notification_read(&caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
