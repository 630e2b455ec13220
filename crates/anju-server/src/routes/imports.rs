//! `/imports`: upload a file, follow the job, fetch its error report, download templates.
//!
//! The upload returns at once with a job; the import runs in the background in one
//! transaction, and the job row keeps its outcome. Progress while it runs comes from
//! memory (the import's transaction holds SQLite's write lock, so the row cannot be
//! updated meanwhile).

use std::sync::Arc;

use anju_io::{Format, Kind};
use anju_store::{ImportJobView, ImportOutcome, ImportProgress, JobEnd};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Caller, uuid_param};

/// Uploads above this are refused with 413: a 12-million-household register split by
/// district stays well under it.
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_import))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(get_import))
                .routes(routes!(import_report))
                .routes(routes!(import_template)),
        )
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // describes the form for OpenAPI; the handler reads it field by field
pub struct ImportForm {
    /// households, houses, units or officers.
    kind: String,
    /// CSV (UTF-8, with or without BOM, or GB18030) or XLSX.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// `true` to report what would change and write nothing.
    dry_run: Option<bool>,
    /// The sheet of an XLSX file (default: the first).
    sheet: Option<String>,
}

pub(crate) fn kind_param(s: &str) -> Result<Kind, ApiError> {
    Kind::parse(s).ok_or_else(|| {
        anju_core::ValidationError::single(
            "kind",
            "invalid_choice",
            "one of households, houses, units, officers",
        )
        .into()
    })
}

pub(crate) fn text_field(name: &str, bytes: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec())
        .map(|s| s.trim().to_owned())
        .map_err(|_| ApiError::BadRequest(format!("the field {name} is not UTF-8 text")))
}

/// Starts an import. The file is checked whole before anything is written: a file with
/// any bad row imports nothing, and the job names every bad row (line, column, reason).
#[utoipa::path(post, path = "/imports", tag = "io", operation_id = "create_import",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportJobView, description = "The job; poll it for the outcome"),
              (status = 400, body = Problem), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn create_import(
    State(s): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> Result<(StatusCode, Json<ImportJobView>), ApiError> {
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(anju_store::StoreError::from)?;
    let (mut kind, mut file, mut name, mut dry_run, mut sheet) =
        (None, None, String::new(), false, None);
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or("").to_owned();
        match field_name.as_str() {
            "file" => {
                name = field.file_name().unwrap_or("upload").to_owned();
                file = Some(field.bytes().await.map_err(multipart_error)?);
            }
            "kind" => {
                kind = Some(kind_param(&text_field(
                    "kind",
                    &field.bytes().await.map_err(multipart_error)?,
                )?)?)
            }
            "dry_run" => {
                let v = text_field("dry_run", &field.bytes().await.map_err(multipart_error)?)?;
                dry_run = matches!(v.as_str(), "true" | "1" | "on" | "yes");
            }
            "sheet" => {
                let v = text_field("sheet", &field.bytes().await.map_err(multipart_error)?)?;
                sheet = (!v.is_empty()).then_some(v);
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown form field {other:?}"
                )));
            }
        }
    }
    let kind = kind.ok_or_else(|| ApiError::BadRequest("the form needs a kind field".into()))?;
    let file = file.ok_or_else(|| ApiError::BadRequest("the form needs a file field".into()))?;
    let id = s
        .store
        .create_import_job(&caller.scope, kind.as_str(), &name, dry_run)
        .await?;
    let progress = Arc::new(ImportProgress::default());
    let scope = caller.scope;
    let state = s.clone();
    let p = progress.clone();
    spawn_job(&s, id, progress, async move {
        state
            .store
            .import_file(&scope, kind, &file, sheet.as_deref(), dry_run, &p)
            .await
    })?;
    let view = job_view(&s, &caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// Runs an import job in the background: its progress is visible while it runs, its
/// outcome is written to the job row when it ends, whatever happens.
pub(crate) fn spawn_job(
    s: &AppState,
    id: uuid::Uuid,
    progress: Arc<ImportProgress>,
    work: impl Future<Output = Result<anju_store::FileImport, anju_store::StoreError>> + Send + 'static,
) -> Result<(), ApiError> {
    s.imports
        .lock()
        .map_err(|_| ApiError::Internal("import table poisoned".into()))?
        .insert(id, progress);
    let state = s.clone();
    tokio::spawn(async move {
        let r = work.await;
        let end = match &r {
            Ok(f) => match &f.outcome {
                ImportOutcome::Done(summary) => JobEnd::Done(summary),
                ImportOutcome::Rejected(e) => {
                    JobEnd::Rejected(e, f.report.as_deref().unwrap_or_default())
                }
            },
            Err(anju_store::StoreError::Forbidden(p)) => {
                JobEnd::Failed(if *p == anju_core::Permission::Update {
                    "your role may not change existing records"
                } else {
                    "your role may not import"
                })
            }
            Err(anju_store::StoreError::NotFound) => {
                JobEnd::Failed("no such record, or it is outside your scope")
            }
            Err(e) => {
                tracing::error!(job = %id, "import failed: {e}");
                JobEnd::Failed("the server failed; nothing was imported (the error is logged)")
            }
        };
        let total = r.as_ref().map(|f| f.records).unwrap_or(0);
        if let Err(e) = state.store.finish_import_job(id, total, end).await {
            tracing::error!(job = %id, "recording the import's outcome: {e}");
        }
        if let Ok(mut m) = state.imports.lock() {
            m.remove(&id);
        }
    });
    Ok(())
}

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(e.body_text())
    }
}

pub(crate) async fn job_view(
    s: &AppState,
    caller: &Caller,
    id: uuid::Uuid,
) -> Result<ImportJobView, ApiError> {
    let mut v = s.store.import_job(&caller.scope, id).await?;
    if v.status == "running"
        && let Some(p) = s.imports.lock().ok().and_then(|m| m.get(&id).cloned())
    {
        v.total = p.total() as i64;
        v.done = p.done() as i64;
    }
    Ok(v)
}

/// A job of the caller's own: its status, progress (`done` of `total` records) and
/// outcome. Other users' jobs are not found.
#[utoipa::path(get, path = "/imports/{id}", tag = "io", operation_id = "get_import",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = ImportJobView), (status = 404, body = Problem)))]
async fn get_import(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, ApiError> {
    let id = uuid_param("id", &id)?;
    Ok(Json(job_view(&s, &caller, id).await?))
}

/// The error report of a rejected import: the file's rows with an error column added
/// (CSV, UTF-8 with BOM), to fix and upload again.
#[utoipa::path(get, path = "/imports/{id}/report", tag = "io", operation_id = "get_import_report",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
async fn import_report(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = uuid_param("id", &id)?;
    let report = s.store.import_report(&caller.scope, id).await?;
    Ok(attachment(
        Format::Csv,
        &format!("import-{id}-errors"),
        report.into_bytes(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// csv (default) or xlsx.
    pub format: Option<String>,
}

pub(crate) fn format_param(f: Option<&str>) -> Result<Format, ApiError> {
    match f {
        None => Ok(Format::Csv),
        Some(f) => Format::parse(f).ok_or_else(|| {
            anju_core::ValidationError::single("format", "invalid_choice", "csv or xlsx").into()
        }),
    }
}

/// An empty file with the Chinese headers of `kind`, to fill in and upload
/// (docs/import.md describes every column).
#[utoipa::path(get, path = "/imports/templates/{kind}", tag = "io", operation_id = "get_import_template",
    params(("kind" = String, Path, description = "households, houses, units or officers"), FormatParams),
    responses((status = 200, content_type = "application/octet-stream", body = String), (status = 422, body = Problem)))]
async fn import_template(
    _caller: Caller,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<FormatParams>,
) -> Result<Response, ApiError> {
    let kind = kind_param(&kind)?;
    let format = format_param(q.format.as_deref())?;
    let bytes =
        anju_io::write::template(kind, format).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(attachment(
        format,
        &format!("{}-template", kind.as_str()),
        bytes,
    ))
}

/// A download: its type and an attachment name (ASCII, so every browser keeps it).
pub(crate) fn attachment(
    format: Format,
    stem: &str,
    body: impl Into<axum::body::Body>,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{}\"", format.extension()),
            ),
        ],
        body.into(),
    )
        .into_response()
}
