//! Anju's HTTP API under `/api/v1`, described by OpenAPI generated from the handlers.
//!
//! The router is built from `utoipa-axum` route sets, so a handler cannot be served
//! without appearing in `/api/v1/openapi.json`.

pub mod auth;
mod error;
mod extract;
mod routes;
pub mod web;
pub mod worker;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anju_store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, Problem};

/// Request bodies above this are refused with 413 before they are parsed.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: auth::AuthConfig,
    /// Password hashes checked since start: lets tests prove a throttled sign-in was
    /// refused without spending a hash.
    pub hash_checks: Arc<std::sync::atomic::AtomicU64>,
    /// The document generated from the router, filled in once the router is built.
    pub(crate) openapi: Arc<OnceLock<utoipa::openapi::OpenApi>>,
    /// Progress of the imports running in this process, by job id.
    pub(crate) imports: Arc<std::sync::Mutex<ImportTable>>,
}

type ImportTable = std::collections::HashMap<uuid::Uuid, Arc<anju_store::ImportProgress>>;

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            auth: auth::AuthConfig::default(),
            hash_checks: Arc::default(),
            openapi: Arc::default(),
            imports: Arc::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anju (安居) API",
        description = "Closed-loop disaster prevention and recovery for local government. \
                       Errors are application/problem+json.",
        version = "1"
    ),
    tags(
        (name = "areas", description = "The administrative area tree"),
        (name = "registry", description = "Households, houses, units and officers"),
        (name = "auth", description = "Sign-in and sessions"),
        (name = "users", description = "Accounts (admins)"),
        (name = "audit", description = "The access audit trail (admins)"),
        (name = "items", description = "The closed loop: items, transitions, splitting, supervision, inbox"),
        (name = "reports", description = "Reports in from the field, their triage, and attachments"),
        (name = "recovery", description = "Disasters, damage assessments and appeals, reconstruction cases, figures per area (docs/recovery.md)"),
        (name = "prevention", description = "Risk points, hazard zones, settlement sites and evacuation plans"),
        (name = "io", description = "Imports, exports and templates (docs/import.md)"),
        (name = "system", description = "Health and description")
    )
)]
struct ApiDoc;

/// The application router and its OpenAPI document.
pub fn app(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .merge(routes::areas::router())
        .merge(routes::households::router())
        .merge(routes::houses::router())
        .merge(routes::houses::restore_router())
        .merge(routes::units::router())
        .merge(routes::officers::router())
        .merge(routes::auth::router())
        .merge(routes::users::router())
        .merge(routes::audit::router())
        .merge(routes::items::router())
        .merge(routes::reports::router())
        .merge(routes::recovery::router())
        .merge(routes::imports::router())
        .merge(routes::field_forms::router())
        .merge(routes::exports::router())
        .merge(routes::prevention::router())
        .merge(routes::system::api_router());
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(routes::system::root_router())
        .split_for_parts();
    let _ = state.openapi.set(openapi.clone());
    let router = router
        .fallback(routes::system::not_found)
        .layer(axum::middleware::from_fn(server_timing))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    (router, openapi)
}

/// Adds `Server-Timing: app;dur=<ms>` to every response: the time spent in the server,
/// which benchmarks read to separate server latency from the network's.
async fn server_timing(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
        res.headers_mut().insert("server-timing", v);
    }
    res
}

/// The OpenAPI document alone (for `anju openapi` and tests).
pub fn openapi(state: AppState) -> utoipa::openapi::OpenApi {
    app(state).1
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, _) = app(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Binds `addr` (port 0 picks a free port) and serves in the background; returns the
/// bound address. Used by tests and the demo.
pub async fn spawn(addr: &str, state: AppState) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, state, std::future::pending()).await {
            tracing::error!("server stopped: {e}");
        }
    });
    // The listener is bound already; connections queue until the task runs.
    tokio::time::sleep(Duration::from_millis(1)).await;
    Ok(local)
}
