//! `/exports/{kind}`: any list the caller may see, as CSV (UTF-8 with BOM) or XLSX,
//! personal data masked unless their role may see it. CSV is streamed: each keyset page
//! is written out before the next is read, so memory stays flat however long the list.

use anju_core::{AreaCode, Scope};
use anju_io::Kind;
use anju_io::write::Sink;
use anju_store::{ExportCursor, Store};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::stream;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Caller, area_param};
use crate::routes::imports::{attachment, format_param, kind_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Only this area's subtree (within your scope).
    pub area: Option<String>,
    /// csv (default) or xlsx.
    pub format: Option<String>,
}

/// Exports a list in the import layout (docs/import.md), so a fixed export loads back.
/// Needs the export permission; cells that a spreadsheet would run as formulas are
/// prefixed with `'`.
#[utoipa::path(get, path = "/exports/{kind}", tag = "io", operation_id = "export",
    params(("kind" = String, Path, description = "households, houses, units or officers"), ExportParams),
    responses((status = 200, content_type = "text/csv", body = String,
               description = "CSV (UTF-8 with BOM) or XLSX"),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn export(
    State(s): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let kind = kind_param(&kind)?;
    let format = format_param(q.format.as_deref())?;
    let area = q
        .area
        .as_deref()
        .map(|a| area_param("area", a))
        .transpose()?;
    // Refused here, before the response starts, rather than as a broken stream.
    s.store.export_count(&caller.scope, kind, area).await?;
    let mut sink =
        Sink::new(format, kind.as_str()).map_err(|e| ApiError::Internal(e.to_string()))?;
    sink.row(&kind.zh_headers())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let state = Pages {
        store: s.store.clone(),
        scope: caller.scope,
        kind,
        area,
        after: None,
        sink: Some(sink),
    };
    let body = Body::from_stream(stream::unfold(state, next_chunk));
    let stem = format!(
        "{}-{}",
        kind.as_str(),
        area.map_or_else(|| "all".to_owned(), |a| a.to_string())
    );
    Ok(attachment(format, &stem, body))
}

struct Pages {
    store: Store,
    scope: Scope,
    kind: Kind,
    area: Option<AreaCode>,
    after: Option<ExportCursor>,
    /// `None` once the last bytes are out.
    sink: Option<Sink>,
}

type Chunk = Result<Vec<u8>, std::io::Error>;

/// The next page's bytes (CSV), or for XLSX nothing until the workbook is complete.
async fn next_chunk(mut p: Pages) -> Option<(Chunk, Pages)> {
    let mut sink = p.sink.take()?;
    let page = match p
        .store
        .export_page(&p.scope, p.kind, p.area, p.after.as_ref())
        .await
    {
        Ok(page) => page,
        Err(e) => {
            tracing::error!("export failed mid-stream: {e}");
            return Some((Err(std::io::Error::other("the export failed")), p));
        }
    };
    let io = |e: anju_io::IoError| std::io::Error::other(e.to_string());
    for r in &page.rows {
        if let Err(e) = sink.row(r) {
            return Some((Err(io(e)), p));
        }
    }
    match page.next {
        Some(n) => {
            p.after = Some(n);
            let bytes = sink.take().map_err(io);
            p.sink = Some(sink);
            Some((bytes, p))
        }
        None => {
            // The last page: XLSX assembles its workbook (off the async threads).
            let bytes = tokio::task::spawn_blocking(move || sink.finish().map_err(io))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
            Some((bytes, p))
        }
    }
}
