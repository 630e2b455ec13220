//! Field forms (KoboToolbox, ODK): importing an export of damage assessments for a
//! disaster, and the column mapping saved per form (docs/import.md, "Field forms").

use std::sync::Arc;

use anju_io::field::FieldMapping;
use anju_store::{FieldFormView, FieldImportOptions, ImportJobView, ImportProgress};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Caller, uuid_param};
use crate::routes::imports::{IMPORT_BODY_LIMIT, job_view, multipart_error, spawn_job, text_field};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_assessment_import))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
        .merge(OpenApiRouter::new().routes(routes!(get_field_form, put_field_form)))
}

/// The multipart form of a field-form upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // describes the form for OpenAPI; the handler reads it field by field
pub struct AssessmentImportForm {
    /// The export: CSV (`,` or `;`; UTF-8 or GB18030) or XLSX, as Kobo or ODK write it.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// The form's name: its saved mapping is used (and saved, when `mapping` is given).
    form: Option<String>,
    /// A mapping as JSON (`{"fields": {"house_id": "house/house_id"}, "grades": {}}`).
    mapping: Option<String>,
    /// `true` to report what would change and write nothing.
    dry_run: Option<bool>,
    /// The sheet of an XLSX file (default: the first).
    sheet: Option<String>,
}

fn mapping_param(text: &str) -> Result<FieldMapping, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        anju_core::ValidationError::single("mapping", "invalid_mapping", e.to_string()).into()
    })
}

/// Imports a field-form export of damage assessments for the disaster: checked whole
/// first (every bad row named by line, column and reason; then nothing is written),
/// idempotent on `_uuid` (an edited submission becomes a new version). The result is an
/// import job like `POST /imports`: poll `GET /imports/{id}`, fetch `…/report`.
#[utoipa::path(post, path = "/disasters/{id}/assessment-imports", tag = "io",
    operation_id = "create_assessment_import",
    params(("id" = String, Path, description = "Disaster id")),
    request_body(content = AssessmentImportForm, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportJobView, description = "The job; poll it for the outcome"),
              (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn create_assessment_import(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<ImportJobView>), ApiError> {
    let disaster = uuid_param("id", &id)?;
    caller
        .scope
        .require(anju_core::Permission::Create)
        .map_err(anju_store::StoreError::from)?;
    // Answer 404 now for a disaster the caller does not see, rather than in the job.
    s.store.disaster(&caller.scope, disaster).await?;
    let (mut file, mut name, mut opts) = (None, String::new(), FieldImportOptions::default());
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or("").to_owned();
        if field_name == "file" {
            name = field.file_name().unwrap_or("upload").to_owned();
            file = Some(field.bytes().await.map_err(multipart_error)?);
            continue;
        }
        let v = text_field(&field_name, &field.bytes().await.map_err(multipart_error)?)?;
        match field_name.as_str() {
            "form" => opts.form = (!v.is_empty()).then_some(v),
            "mapping" => opts.mapping = (!v.is_empty()).then(|| mapping_param(&v)).transpose()?,
            "dry_run" => opts.dry_run = matches!(v.as_str(), "true" | "1" | "on" | "yes"),
            "sheet" => opts.sheet = (!v.is_empty()).then_some(v),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown form field {other:?}"
                )));
            }
        }
    }
    let file = file.ok_or_else(|| ApiError::BadRequest("the form needs a file field".into()))?;
    if let (Some(form), Some(mapping)) = (&opts.form, &opts.mapping)
        && !opts.dry_run
    {
        s.store
            .save_field_form(&caller.scope, form, mapping)
            .await?;
    }
    let id = s
        .store
        .create_import_job(&caller.scope, "assessments", &name, opts.dry_run)
        .await?;
    let progress = Arc::new(ImportProgress::default());
    let (scope, state, p) = (caller.scope, s.clone(), progress.clone());
    spawn_job(&s, id, progress, async move {
        state
            .store
            .import_field_file(&scope, disaster, &file, &opts, &p)
            .await
    })?;
    let view = job_view(&s, &caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// The mapping saved for a field form, the one nearest on the caller's path (their own
/// area's, else the town's, district's or city's).
#[utoipa::path(get, path = "/field-forms/{name}", tag = "io", operation_id = "get_field_form",
    params(("name" = String, Path, description = "The form's name")),
    responses((status = 200, body = FieldFormView), (status = 404, body = Problem)))]
async fn get_field_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<FieldFormView>, ApiError> {
    Ok(Json(s.store.field_form(&caller.scope, &name).await?))
}

/// Saves the mapping of a field form for the caller's area.
#[utoipa::path(put, path = "/field-forms/{name}", tag = "io", operation_id = "put_field_form",
    params(("name" = String, Path, description = "The form's name")),
    request_body(content = Object, description = "`{\"fields\": {\"house_id\": \"house/house_id\", …}, \"grades\": {\"1\": \"A\"}}`"),
    responses((status = 200, body = FieldFormView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_field_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(mapping): ApiJson<FieldMapping>,
) -> Result<Json<FieldFormView>, ApiError> {
    Ok(Json(
        s.store
            .save_field_form(&caller.scope, &name, &mapping)
            .await?,
    ))
}
