//! The embedded web app: served from the router's fallback, so the API keeps its paths
//! and its 404s. With `web/dist` built, files carry cache headers and app routes fall
//! back to `index.html`; without it, every page says how to build the app.

use anju_core::Clock;
use anju_server::AppState;
use anju_store::Backend;
use anju_testdb::fresh_store_with;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};

async fn base() -> String {
    let store = fresh_store_with(Backend::Sqlite, Clock::System).await;
    let addr = anju_server::spawn("127.0.0.1:0", AppState::new(store))
        .await
        .expect("spawn");
    format!("http://{addr}")
}

fn header(r: &reqwest::Response, h: reqwest::header::HeaderName) -> String {
    r.headers()
        .get(h)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn api_paths_keep_their_problem_404() {
    let base = base().await;
    for path in ["/api/nope", "/api/v1/nope", "/api/v1/areas/50/nope"] {
        let r = reqwest::get(format!("{base}{path}")).await.expect("get");
        assert!(
            r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::UNAUTHORIZED,
            "{path}: {}",
            r.status()
        );
        assert_eq!(
            header(&r, CONTENT_TYPE),
            "application/problem+json",
            "{path}"
        );
    }
    let r = reqwest::get(format!("{base}/healthz")).await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn app_routes_fall_back_to_the_app_and_files_are_cached() {
    let base = base().await;
    let http = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let r = http
        .get(format!("{base}/overview/500101"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, CONTENT_TYPE).starts_with("text/html"));
    let page = r.text().await.expect("body");
    if !anju_server::web::embedded() {
        assert!(page.contains("npm run build"), "{page}");
        return;
    }
    assert!(page.contains(r#"<div id="app">"#), "{page}");
    // The shell is revalidated; the hashed files it names are cached for good, and
    // sent gzip-compressed to browsers that take it.
    let r = http.get(format!("{base}/")).send().await.expect("get");
    assert_eq!(header(&r, CACHE_CONTROL), "no-cache");
    let html = r.text().await.expect("body");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a script in index.html")
        .to_owned();
    let r = http
        .get(format!("{base}{script}"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, CACHE_CONTROL).contains("immutable"));
    assert!(header(&r, CONTENT_TYPE).starts_with("text/javascript"));
    assert_eq!(header(&r, CONTENT_ENCODING), "gzip");
    // A missing asset is a 404, not the app's HTML parsed as script.
    let r = http
        .get(format!("{base}/assets/missing-0000.js"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http.get(format!("{base}/sw.js")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, CACHE_CONTROL), "no-cache");
}
