//! `/reports`: reports in from the field (信息报送) and their triage; `/attachments`:
//! the photos and files items and reports carry.

use anju_core::ValidationError;
use anju_core::report::{ReportInput, ReportStatus, TriageInput};
use anju_core::view::Page;
use anju_store::{AttachmentMeta, MAX_ATTACHMENT_BYTES, ReportQuery, ReportView};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, area_param, uuid_param};
use crate::routes::items::client_id;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report))
        .routes(routes!(triage_report))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_attachment))
                // Photos are bigger than the JSON bodies the global limit is sized for.
                .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES)),
        )
        .routes(routes!(get_attachment))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    pub area: Option<String>,
    /// new, dismissed, merged or actioned.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Reports in the caller's subtree, newest first.
#[utoipa::path(get, path = "/reports", tag = "reports", params(ReportParams),
    responses((status = 200, body = Page<ReportView>), (status = 422, body = Problem)))]
async fn list_reports(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Json<Page<ReportView>>, ApiError> {
    let status = match p.status.as_deref() {
        None => None,
        Some(x) => Some(ReportStatus::parse(x).ok_or_else(|| {
            ValidationError::single(
                "status",
                "invalid_status",
                "new, dismissed, merged or actioned",
            )
        })?),
    };
    let q = ReportQuery {
        area: p
            .area
            .as_deref()
            .map(|a| area_param("area", a))
            .transpose()?,
        status,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(Json(s.store.list_reports(&caller.scope, &q).await?))
}

/// Files a report with a point and photos. A client-chosen `id` (or an
/// `Idempotency-Key`) makes a resend return the report already filed.
#[utoipa::path(post, path = "/reports", tag = "reports", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a resent report count once")),
    responses((status = 201, body = ReportView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_report(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReportInput>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let r = input.validate()?;
    let id = client_id(input.id, &headers, caller.user.id)?;
    let view = s.store.create_report(&caller.scope, id, &r).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/reports/{id}", tag = "reports", params(("id" = String, Path)),
    responses((status = 200, body = ReportView), (status = 404, body = Problem)))]
async fn get_report(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.report(&caller.scope, id).await?))
}

/// The duty officer's (or leader's) decision: dismiss with a reason, merge into another
/// report, or create items from it.
#[utoipa::path(post, path = "/reports/{id}/triage", tag = "reports", request_body = TriageInput,
    params(("id" = String, Path)),
    responses((status = 200, body = ReportView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn triage_report(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(t): ApiJson<TriageInput>,
) -> Result<Json<ReportView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(s.store.triage_report(&caller.scope, id, &t).await?))
}

/// Uploads a photo or file (JPEG, PNG, WebP or PDF, at most 10 MiB) as the raw body. The
/// answer names it by the SHA-256 of its content; items and reports then refer to it.
#[utoipa::path(post, path = "/attachments", tag = "reports",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("X-Filename" = Option<String>, Header, description = "the file's name, percent-encoded")),
    responses((status = 201, body = AttachmentMeta), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload_attachment(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentMeta>), ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let claimed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let name = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode);
    let meta = s
        .store
        .put_attachment(&caller.scope, &body, claimed, name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(meta)))
}

/// An attachment's bytes, if it belongs to a record the caller may see (or they sent it).
#[utoipa::path(get, path = "/attachments/{hash}", tag = "reports", params(("hash" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
async fn get_attachment(
    State(s): State<AppState>,
    caller: Caller,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let (meta, data) = s.store.attachment(&caller.scope, &hash).await?;
    let mut r = data.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // Content-addressed: the bytes under a hash never change.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn filenames_decode() {
        assert_eq!(super::percent_decode("%E8%A3%82%E7%BC%9D.jpg"), "裂缝.jpg");
        assert_eq!(super::percent_decode("a%2"), "a%2");
    }
}
